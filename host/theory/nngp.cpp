// Infinite-width kernels K^(0)_l (docs/theory.md 2): activation maps and the layer recursion for fcn and cnn.
#include <algorithm>
#include <cmath>
#include <limits>

#include "fwmc/theory.hpp"

namespace fwmc {

double activation_kernel(Activation a, double s11, double s22, double s12) {
  switch (a) {
    case Activation::linear:
      return s12;
    case Activation::quadratic:
      return s11 * s22 + 2 * s12 * s12;
    case Activation::relu: {
      const double n = std::sqrt(s11 * s22);
      if (n <= 0) return 0.0;
      const double t = std::acos(std::clamp(s12 / n, -1.0, 1.0));
      return n / (2 * M_PI) * (std::sin(t) + (M_PI - t) * std::cos(t));
    }
    case Activation::erf:
      return 2 / M_PI * std::asin(std::clamp(2 * s12 / std::sqrt((1 + 2 * s11) * (1 + 2 * s22)), -1.0, 1.0));
    case Activation::tanh:
      return gauss_hermite_kernel(a, s11, s22, s12, 64);
  }
  return s12;
}

KernelTensor input_kernel(const ModelSpec& m, const Eigen::MatrixXd& X) {
  const int N = static_cast<int>(X.rows()), D = m.positions(), c0 = m.in_channels;
  KernelTensor K0(N, D);
  for (int a = 0; a < N; ++a)
    for (int b = 0; b < N; ++b)
      for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j)
          K0.at(a, b, i, j) = X.row(a).segment(i * c0, c0).dot(X.row(b).segment(j * c0, c0)) / c0;
  return K0;
}

std::vector<KernelTensor> nngp_kernels(const ModelSpec& m, const Eigen::MatrixXd& X) {
  const int N = static_cast<int>(X.rows()), D = m.positions();
  std::vector<KernelTensor> out{input_kernel(m, X)};
  for (int l = 1; l <= m.depth(); ++l) {
    const double s2 = m.sigma[l - 1] * m.sigma[l - 1];
    KernelTensor C = D == 1 ? out.back() : apply_window(m, out.back());
    for (double& x : C.v) x *= s2;
    if (m.activation == Activation::linear) {
      out.push_back(C);
      continue;
    }
    KernelTensor K(N, D);
    for (int a = 0; a < N; ++a)
      for (int b = 0; b < N; ++b)
        for (int i = 0; i < D; ++i)
          for (int j = 0; j < D; ++j)
            K.at(a, b, i, j) = activation_kernel(m.activation, C.at(a, a, i, i), C.at(b, b, j, j), C.at(a, b, i, j));
    out.push_back(K);
  }
  return out;
}

std::vector<KernelTensor> selected_nngp(const ModelSpec& m, const Eigen::MatrixXd& X, const KernelSelection& sel) {
  std::vector<KernelTensor> K = nngp_kernels(m, X);
  for (auto& k : K) k = restrict_kernel(k, sel);
  return K;
}

std::vector<DiagonalRange> nngp_diagonal_ranges(const ModelSpec& m, const Eigen::MatrixXd& X) {
  const int D = m.positions(), c0 = m.in_channels, L = m.depth();
  std::vector<DiagonalRange> r(L + 1, {std::numeric_limits<double>::infinity(), 0.0});
  // E_phi(q) = E[phi(z)^2], z ~ N(0, q), increases with q, so a window's average lies between the smallest and
  // largest position variance, and the bounds propagate layer by layer.
  const auto second_moment = [&](double q) { return activation_kernel(m.activation, q, q, q); };
  for (long a = 0; a < X.rows(); ++a) {
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    for (int i = 0; i < D; ++i) {
      const double q = X.row(a).segment(i * c0, c0).squaredNorm() / c0;
      lo = std::min(lo, q);
      hi = std::max(hi, q);
    }
    // Layer l: its pre-activation variance sigma_l^2 K_{l-1} and its kernel K_l; the readout: the former only.
    for (int l = 1; l <= L + 1; ++l) {
      const double s2 = m.sigma[l - 1] * m.sigma[l - 1];
      const double plo = s2 * lo, phi = s2 * hi;
      lo = l <= L ? second_moment(plo) : plo;
      hi = l <= L ? second_moment(phi) : phi;
      r[l - 1].lo = std::min({r[l - 1].lo, plo, lo});
      r[l - 1].hi = std::max({r[l - 1].hi, phi, hi});
    }
  }
  return r;
}

}  // namespace fwmc
