#include <cmath>

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

}  // namespace fwmc
