#include "fwmc/reference_net.hpp"

#include <cmath>

namespace fwmc {

double apply_activation(Activation a, double z) {
  switch (a) {
    case Activation::linear:
      return z;
    case Activation::relu:
      return z > 0 ? z : 0.0;
    case Activation::erf:
      return std::erf(z);
    case Activation::tanh:
      return std::tanh(z);
    case Activation::quadratic:
      return z * z;
  }
  return z;
}

NetWeights sample_prior(const ModelSpec& m, std::mt19937_64& rng) {
  std::normal_distribution<double> nd;
  NetWeights w;
  const int L = m.depth(), S = m.window_size(), D = m.positions();
  for (int l = 1; l <= L + 1; ++l) {
    const int rows = l <= L ? m.layer_width(l) : m.n_out;
    const int cols = l <= L ? S * m.layer_width(l - 1) : D * m.layer_width(L);
    Eigen::MatrixXd W(rows, cols);
    for (int j = 0; j < cols; ++j)
      for (int i = 0; i < rows; ++i) W(i, j) = m.sigma[l - 1] * nd(rng);
    w.W.push_back(W);
  }
  return w;
}

Forward reference_forward(const ModelSpec& m, const NetWeights& w, const Eigen::MatrixXd& X) {
  const int L = m.depth(), S = m.window_size(), D = m.positions();
  const long N = X.rows();
  Forward out;
  out.h.push_back(X);
  for (int l = 1; l <= L; ++l) {
    const int cin = m.layer_width(l - 1), cout = m.layer_width(l);
    const Eigen::MatrixXd& hp = out.h.back();
    Eigen::MatrixXd z = Eigen::MatrixXd::Zero(N, static_cast<long>(D) * cout);
    const double scale = 1.0 / std::sqrt(double(S) * cin);
    for (long a = 0; a < N; ++a)
      for (int i = 0; i < D; ++i)
        for (int s = 0; s < S; ++s) {
          const int src = m.neighbor(i, s);
          for (int al = 0; al < cout; ++al) {
            double acc = 0;
            for (int be = 0; be < cin; ++be) acc += w.W[l - 1](al, s * cin + be) * hp(a, src * cin + be);
            z(a, i * cout + al) += scale * acc;
          }
        }
    out.h.push_back(z.unaryExpr([&](double v) { return apply_activation(m.activation, v); }));
  }
  out.f = out.h.back() * w.W[L].transpose() / std::sqrt(double(D) * m.layer_width(L));
  return out;
}

std::vector<double> feature_kernel(const ModelSpec& m, const Eigen::MatrixXd& h, int width) {
  const int D = m.positions();
  const long N = h.rows();
  std::vector<double> K(static_cast<std::size_t>(N * N * D * D), 0.0);
  for (long a = 0; a < N; ++a)
    for (long b = 0; b < N; ++b)
      for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j) {
          double s = 0;
          for (int al = 0; al < width; ++al) s += h(a, i * width + al) * h(b, j * width + al);
          K[((a * N + b) * D + i) * D + j] = s / width;
        }
  return K;
}

}  // namespace fwmc
