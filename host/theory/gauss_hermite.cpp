// Gauss-Hermite quadrature (Golub-Welsch) and the 2-D expectation E[phi(u) phi(v)] it gives.
#include <cmath>
#include <map>
#include <mutex>

#include <Eigen/Eigenvalues>

#include "fwmc/reference_net.hpp"
#include "fwmc/theory.hpp"

namespace fwmc {

void gauss_hermite_rule(int n, std::vector<double>& nodes, std::vector<double>& weights) {
  static std::mutex mu;
  static std::map<int, std::pair<std::vector<double>, std::vector<double>>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(n);
  if (it == cache.end()) {
    Eigen::MatrixXd J = Eigen::MatrixXd::Zero(n, n);
    for (int k = 1; k < n; ++k) J(k, k - 1) = J(k - 1, k) = std::sqrt(k / 2.0);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(J);
    std::vector<double> x(n), w(n);
    for (int i = 0; i < n; ++i) {
      x[i] = es.eigenvalues()(i);
      w[i] = std::sqrt(M_PI) * es.eigenvectors()(0, i) * es.eigenvectors()(0, i);
    }
    it = cache.emplace(n, std::make_pair(x, w)).first;
  }
  nodes = it->second.first;
  weights = it->second.second;
}

void gauss_legendre_rule(int n, std::vector<double>& nodes, std::vector<double>& weights) {
  // Golub-Welsch on [-1, 1]: the Jacobi matrix of the Legendre polynomials, off-diagonal k / sqrt(4 k^2 - 1).
  Eigen::MatrixXd J = Eigen::MatrixXd::Zero(n, n);
  for (int k = 1; k < n; ++k) J(k, k - 1) = J(k - 1, k) = k / std::sqrt(4.0 * k * k - 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(J);
  nodes.resize(n);
  weights.resize(n);
  for (int i = 0; i < n; ++i) {
    nodes[i] = es.eigenvalues()(i);
    weights[i] = 2 * es.eigenvectors()(0, i) * es.eigenvectors()(0, i);
  }
}

double gauss_hermite_kernel(Activation a, double s11, double s22, double s12, int n) {
  std::vector<double> x, w;
  gauss_hermite_rule(n, x, w);
  // Cholesky factor of [[s11, s12], [s12, s22]]: u = l11 z1, v = l21 z1 + l22 z2.
  const double l11 = std::sqrt(std::max(s11, 0.0));
  const double l21 = l11 > 0 ? s12 / l11 : 0.0;
  const double l22 = std::sqrt(std::max(s22 - l21 * l21, 0.0));
  double acc = 0;
  for (int i = 0; i < n; ++i) {
    const double z1 = std::sqrt(2.0) * x[i];
    const double pu = apply_activation(a, l11 * z1);
    for (int j = 0; j < n; ++j) {
      const double z2 = std::sqrt(2.0) * x[j];
      acc += w[i] * w[j] * pu * apply_activation(a, l21 * z1 + l22 * z2);
    }
  }
  return acc / M_PI;
}

}  // namespace fwmc
