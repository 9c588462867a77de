#include <cmath>

#include <Eigen/Dense>

#include "fwmc/sweep_report.hpp"

namespace fwmc {

SlopeFit fit_loglog(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& y_se) {
  double S = 0, Sx = 0, Sy = 0, Sxx = 0, Sxy = 0;
  std::vector<double> lx, ly, w;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!(y[i] > 0) || !(x[i] > 0)) continue;
    const double s = y_se[i] > 0 ? y_se[i] / y[i] : 1e-3;  // a point without an error gets a small one
    lx.push_back(std::log(x[i]));
    ly.push_back(std::log(y[i]));
    w.push_back(1 / (s * s));
  }
  SlopeFit f;
  f.points = static_cast<int>(lx.size());
  if (f.points < 2) return f;
  for (std::size_t i = 0; i < lx.size(); ++i) {
    S += w[i];
    Sx += w[i] * lx[i];
    Sy += w[i] * ly[i];
    Sxx += w[i] * lx[i] * lx[i];
    Sxy += w[i] * lx[i] * ly[i];
  }
  const double det = S * Sxx - Sx * Sx;
  f.slope = (S * Sxy - Sx * Sy) / det;
  f.intercept = (Sxx * Sy - Sx * Sxy) / det;
  f.slope_se = std::sqrt(S / det);
  double chi2 = 0;
  for (std::size_t i = 0; i < lx.size(); ++i) chi2 += w[i] * std::pow(ly[i] - f.intercept - f.slope * lx[i], 2);
  f.chi2_per_dof = f.points > 2 ? chi2 / (f.points - 2) : 0;
  return f;
}

SlopeFit fit_loglog_next_order(const std::vector<double>& x, const std::vector<double>& y,
                               const std::vector<double>& y_se) {
  std::vector<double> lx, ly, w, xs;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!(y[i] > 0) || !(x[i] > 0)) continue;
    const double s = y_se[i] > 0 ? y_se[i] / y[i] : 1e-3;
    xs.push_back(x[i]);
    lx.push_back(std::log(x[i]));
    ly.push_back(std::log(y[i]));
    w.push_back(1 / (s * s));
  }
  SlopeFit f;
  f.points = static_cast<int>(lx.size());
  if (f.points < 4) return f;
  const SlopeFit start = fit_loglog(x, y, y_se);
  Eigen::Vector3d th(start.intercept, start.slope, 0.0);  // (a, b, c)
  Eigen::Matrix3d JtWJ = Eigen::Matrix3d::Identity();
  double chi2 = 0;
  for (int iter = 0; iter < 50; ++iter) {
    JtWJ.setZero();
    Eigen::Vector3d JtWr = Eigen::Vector3d::Zero();
    chi2 = 0;
    for (std::size_t i = 0; i < lx.size(); ++i) {
      const double c1 = 1 + th(2) / xs[i];
      if (!(c1 > 0)) return start;  // the fit left the model's domain: keep the plain fit
      const double r = ly[i] - th(0) - th(1) * lx[i] - std::log(c1);
      const Eigen::Vector3d g(1.0, lx[i], 1 / (xs[i] * c1));  // d(model)/d(a, b, c)
      JtWJ += w[i] * g * g.transpose();
      JtWr += w[i] * g * r;
      chi2 += w[i] * r * r;
    }
    const Eigen::Vector3d step = JtWJ.ldlt().solve(JtWr);
    th += step;
    if (step.norm() < 1e-12) break;
  }
  const Eigen::Matrix3d cov = JtWJ.inverse();
  f.intercept = th(0), f.slope = th(1), f.next = th(2);
  f.slope_se = std::sqrt(cov(1, 1)), f.next_se = std::sqrt(cov(2, 2));
  f.chi2_per_dof = f.points > 3 ? chi2 / (f.points - 3) : 0;
  return f;
}

}  // namespace fwmc
