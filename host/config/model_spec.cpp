#include "fwmc/model_spec.hpp"
#include "fwmc/errors.hpp"

namespace fwmc {

int ModelSpec::positions() const {
  int d = 1;
  for (int s : spatial) d *= s;
  return d;
}

int ModelSpec::window_size() const {
  int s = 1;
  for (std::size_t i = 0; i < spatial.size(); ++i) s *= window;
  return s;
}

int ModelSpec::neighbor(int i, int s) const {
  const int r = window / 2;
  if (spatial.size() == 1) {
    const int D = spatial[0];
    return ((i + s - r) % D + D) % D;
  }
  if (spatial.size() == 2) {
    const int H = spatial[0], W = spatial[1];
    const int i1 = i / W, i2 = i % W;
    const int s1 = s / window - r, s2 = s % window - r;
    return ((i1 + s1) % H + H) % H * W + ((i2 + s2) % W + W) % W;
  }
  return i;
}

long ModelSpec::layer_params(int l) const {
  const int L = depth();
  if (l == L + 1) return static_cast<long>(n_out) * widths[L - 1] * positions();
  return static_cast<long>(layer_width(l)) * layer_width(l - 1) * window_size();
}

long ModelSpec::total_params() const {
  long t = 0;
  for (int l = 1; l <= depth() + 1; ++l) t += layer_params(l);
  return t;
}

double layers_evaluation_flops(const ModelSpec& m, int P) {
  // Forward through every layer, the weight gradients, and dH for every layer but the first.
  double f = 0;
  for (int l = 1; l <= m.depth() + 1; ++l) {
    const double w = double(m.layer_params(l)) * m.positions();
    f += (l == 1 ? 2 : 3) * w * P;
  }
  return f;
}

double product_evaluation_flops(const ModelSpec& m, int P) {
  // Right products A_l, the left products E_l and the weight gradients E_l A_{l+1}^T (each ~ n_{l-1} n_l n_d per
  // layer), plus F = X A_1 and E_1 = X^T dF.
  double f = 2.0 * P * m.in_channels * m.n_out;
  for (int l = 1; l <= m.depth(); ++l) f += 3.0 * m.layer_width(l - 1) * m.layer_width(l) * m.n_out;
  return f + double(m.layer_width(m.depth())) * m.n_out * m.layer_width(m.depth() - 1);
}

bool uses_weight_product(const ModelSpec& m, int P) {
  if (m.arch != Arch::fcn || m.activation != Activation::linear || m.evaluation == Evaluation::layers) return false;
  return m.evaluation == Evaluation::product || product_evaluation_flops(m, P) < layers_evaluation_flops(m, P);
}

ModelSpec make_model_spec(const ModelConfig& m, const std::vector<int>& shape, int n_out) {
  ModelSpec s;
  s.activation = m.activation;
  s.widths = m.widths;
  s.sigma = m.sigma;
  s.n_out = n_out;
  s.evaluation = m.evaluation;
  s.arch = m.arch;
  if (m.arch == Arch::fcn) {
    long n0 = 1;
    for (int v : shape) n0 *= v;  // images are flattened for fcn
    s.in_channels = static_cast<int>(n0);
    s.window = 1;
  } else {
    const std::size_t dims = m.arch == Arch::cnn1d ? 1 : 2;
    if (shape.size() == dims) {  // single-channel images: (H, W) -> (H, W, 1)
      s.spatial = shape;
      s.in_channels = 1;
    } else if (shape.size() == dims + 1) {
      s.spatial.assign(shape.begin(), shape.end() - 1);
      s.in_channels = shape.back();
    } else {
      throw InputError(std::string("[model] arch = \"") + name_of(m.arch) + "\": input examples must have shape " +
                       (dims == 1 ? "(D, c0)" : "(H, W, c0)") + ", got " + std::to_string(shape.size()) + " axes");
    }
    s.window = m.window;
    for (int v : s.spatial)
      if (m.window > v)
        throw InputError("[model] window = " + std::to_string(m.window) + ": larger than the input's spatial size " +
                         std::to_string(v));
  }
  return s;
}

}  // namespace fwmc
