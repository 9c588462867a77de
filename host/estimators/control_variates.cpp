// Cross-fitted control variates: coefficients are fitted on other chain groups than the one they correct, so each
// corrected group mean stays unbiased (E[x] = 0 exactly, b independent of the group) and the spread of the
// corrected group means stays an honest MCSE.
#include <cmath>
#include <limits>

#include <Eigen/Dense>

#include "fwmc/stein_estimator.hpp"

namespace fwmc {

std::vector<double> cross_fitted(const std::vector<double>& y, const std::vector<std::vector<double>>& xs,
                                 const std::vector<double>& counts) {
  const int G = static_cast<int>(y.size()), p = static_cast<int>(xs.size()) + 1;
  std::vector<double> out(G, std::numeric_limits<double>::quiet_NaN());
  // Least squares y ~ a + b . x over the live groups through its sufficient statistics; leaving group g out
  // subtracts its own row.
  Eigen::MatrixXd S = Eigen::MatrixXd::Zero(p, p);
  Eigen::VectorXd t = Eigen::VectorXd::Zero(p);
  auto row = [&](int g) {
    Eigen::VectorXd z(p);
    z(0) = 1;
    for (int j = 1; j < p; ++j) z(j) = xs[j - 1][g];
    return z;
  };
  int live = 0;
  for (int g = 0; g < G; ++g) {
    if (!(counts[g] > 0)) continue;
    const Eigen::VectorXd z = row(g);
    S += z * z.transpose();
    t += z * y[g];
    ++live;
  }
  for (int g = 0; g < G; ++g) {
    if (!(counts[g] > 0)) continue;
    out[g] = y[g];
    if (p == 1 || live - 1 < p + 2) continue;  // too few other groups to fit: uncorrected
    const Eigen::VectorXd z = row(g);
    const Eigen::MatrixXd Sg = S - z * z.transpose();
    const Eigen::VectorXd tg = t - z * y[g];
    // Scale the covariates to unit size so the rank test does not mistake small statistics for none.
    Eigen::VectorXd scale = Sg.diagonal().cwiseSqrt();
    bool ok = true;
    for (int j = 0; j < p; ++j) ok = ok && scale(j) > 0;
    if (!ok) continue;  // a covariate identically 0 on the other groups: nothing to fit
    const Eigen::MatrixXd Sn = scale.asDiagonal().inverse() * Sg * scale.asDiagonal().inverse();
    Eigen::FullPivLU<Eigen::MatrixXd> lu(Sn);
    lu.setThreshold(1e-10);
    if (!lu.isInvertible()) continue;
    const Eigen::VectorXd coef = scale.asDiagonal().inverse() * lu.solve(scale.asDiagonal().inverse() * tg);
    for (int j = 1; j < p; ++j) out[g] -= coef(j) * z(j);
  }
  return out;
}

}  // namespace fwmc
