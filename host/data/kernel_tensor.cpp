// KernelTensor's methods and the kernel selection (which entries a run accumulates).
#include <cmath>
#include <string>

#include "fwmc/errors.hpp"
#include "fwmc/kernel_tensor.hpp"

namespace fwmc {

std::vector<std::size_t> KernelTensor::shape() const {
  if (D == 1) return {std::size_t(N), std::size_t(N)};
  if (diag) return {std::size_t(N), std::size_t(N), std::size_t(D)};
  return {std::size_t(N), std::size_t(N), std::size_t(D), std::size_t(D)};
}

double KernelTensor::frobenius() const {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

Eigen::MatrixXd KernelTensor::spatial_trace() const {
  Eigen::MatrixXd t(N, N);
  for (int a = 0; a < N; ++a)
    for (int b = 0; b < N; ++b) {
      double s = 0;
      for (int i = 0; i < D; ++i) s += at(a, b, i, i);
      t(a, b) = s / D;
    }
  return t;
}

void check_kernel_selection(const Config& c, int N) {
  for (int a : c.output.kernel_inputs)
    if (a >= N)
      throw InputError(c.source + ": [output] kernel_inputs: index " + std::to_string(a) +
                       " is out of range (the data has " + std::to_string(N) + " inputs, train and test)");
}

KernelSelection kernel_selection(const Config& c) {
  return KernelSelection{c.output.kernel_inputs, c.output.kernel_positions == KernelPositions::diagonal};
}

KernelTensor restrict_kernel(const KernelTensor& full, const KernelSelection& s) {
  if (s.trivial() || full.v.empty()) return full;
  const int m = s.count(full.N), D = full.D;
  auto input = [&](int a) { return s.inputs.empty() ? a : s.inputs[a]; };
  KernelTensor r(m, D, s.diagonal && D > 1);
  for (int a = 0; a < m; ++a)
    for (int b = 0; b < m; ++b)
      for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j)
          if (!r.diag || i == j) r.at(a, b, i, j) = full.at(input(a), input(b), i, j);
  return r;
}

KernelTensor operator-(const KernelTensor& a, const KernelTensor& b) {
  KernelTensor r = a;
  for (std::size_t i = 0; i < r.v.size(); ++i) r.v[i] -= b.v[i];
  return r;
}

// Window average (A K)(a,b)_ij = (1/|S|) sum_s K(a,b)_{i+s, j+s}. It maps the spatial diagonal to itself, so a
// diagonal-only tensor stays one.
KernelTensor apply_window(const ModelSpec& m, const KernelTensor& K) {
  const int S = m.window_size();
  KernelTensor r(K.N, K.D, K.diag);
  for (int a = 0; a < K.N; ++a)
    for (int b = 0; b < K.N; ++b)
      for (int i = 0; i < K.D; ++i)
        for (int j = K.diag ? i : 0; j < (K.diag ? i + 1 : K.D); ++j) {
          double s = 0;
          for (int t = 0; t < S; ++t) s += K.at(a, b, m.neighbor(i, t), m.neighbor(j, t));
          r.at(a, b, i, j) = s / S;
        }
  return r;
}

}  // namespace fwmc
