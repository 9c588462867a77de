// Width-scaling analysis: weighted log-log fits and the sweep's table, figures and report.
#pragma once
#include <string>
#include <vector>

namespace fwmc {

struct SlopeFit {
  double slope = 0, slope_se = 0, intercept = 0, chi2_per_dof = 0;
  int points = 0;
};

// Weighted least squares of log y = a + b log x with sd(log y) = y_se / y; points with y <= 0 are skipped.
SlopeFit fit_loglog(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& y_se);

// One row of sweep.csv.
struct SweepRow {
  int width = 0, repeat = 0, layer = 0;
  double dK_exp = 0, dK_exp_se = 0, dK_th = 0, exp_minus_th = 0, exp_minus_th_se = 0, residual_bc = 0, rel_err = 0;
  double noise = 0;  // sqrt(sum MCSE^2 + sum theory SE^2): the norm that pure noise would have
  double rhat_max = 0, ess_bulk_min = 0, seconds = 0;
};

// Per-(layer, width) entries of dK_exp and dK_th for the scatter figure.
struct ScatterSet {
  int layer = 0, width = 0;
  std::vector<double> exp, th;
};

// Writes sweep.csv, sweep.json, the figures (gnuplot, PNG and SVG) and report.md into dir.
// Returns false (and says why in `note`) when gnuplot is not available; the table and fits are written anyway.
bool write_sweep_report(const std::string& dir, const std::vector<SweepRow>& rows,
                        const std::vector<ScatterSet>& scatter, std::string& note);

}  // namespace fwmc
