// Stein (zero-variance) kernel estimators (docs/theory.md 11): from the per-group sums of K_l, R_l and Q_l that a
// run accumulates, the deep linear estimator K~_l (exact, O(1/n) fluctuation), the exact layer-1 pre-activation
// estimator Q~_1, the zero-mean control variates C_l, and cross-fitted control-variate estimates of nonlinear
// post-activation kernels. Host side, double; group sums in, estimates with group-spread MCSE out.
#pragma once
#include <limits>
#include <string>
#include <vector>

#include "fwmc/kernel_accumulator.hpp"
#include "fwmc/kernel_tensor.hpp"
#include "fwmc/model_spec.hpp"
#include "fwmc/stein_field.hpp"

namespace fwmc {

// Every accumulated statistic's group sums, each in KernelTensor order (kernel_order): sums[k] holds G tensors.
struct GroupSums {
  Statistics stats;
  int groups = 0, N = 0, D = 1;
  bool diag = false;
  std::vector<double> counts;             // terms (chain-draws) per group
  std::vector<std::vector<double>> sums;  // indexed as Statistics
  std::size_t entries() const;            // per group
  // Group g's sum of statistic k as a tensor.
  KernelTensor group(int k, int g) const;
};

// Plain vs Stein on the same draws, for one layer's kernel (or the layer-1 pre-activation kernel).
struct SteinReport {
  // "exact" (K~_l, Q~_1) | "exact+control_variate" | "conditional_field" | "control_variate" (cross-fitted)
  std::string kind;
  double mcse_ratio_median = 0;  // per entry plain MCSE / Stein MCSE, median over entries
  double mcse_ratio_frob = 0;    // sqrt(sum plain MCSE^2 / sum Stein MCSE^2)
  // Per entry the spread of single draws, plain / Stein, median over entries (the conditional field; NaN where a
  // run does not accumulate the squares): the MCSE ratio without the two estimators' different autocorrelations.
  double sd_ratio_median = std::numeric_limits<double>::quiet_NaN();
  // The effective draws of each estimate, per-draw variance / MCSE^2, median over entries (the same runs; NaN where
  // the squares are not accumulated): how well the sampler mixes the kernel entries themselves.
  double ess_plain_median = std::numeric_limits<double>::quiet_NaN();
  double ess_stein_median = std::numeric_limits<double>::quiet_NaN();
  double agree_max_z = 0, agree_chi2 = 0;  // plain - Stein, in the MCSE of that difference (from its group spread)
  long agree_dof = 0;
  double cv_max_z = 0, cv_chi2 = 0;  // the control variate C_l against its exact mean 0
  long cv_dof = 0;
};

struct SteinLayer {
  KernelEstimate plain, stein, control;  // control: C_l
  std::vector<double> stein_sums;        // per-group sums of the Stein estimate (count-weighted), KernelTensor order
  SteinReport report;
};

struct SteinResult {
  std::vector<SteinLayer> layers;  // 1..L
  bool has_preact = false;         // nonlinear nets: the layer-1 pre-activation kernel
  SteinLayer preact;
};

// K0: the input kernel K_0 restricted to the run's selection (KernelTensor over the selected inputs).
SteinResult stein_estimates(const ModelSpec& m, const KernelTensor& K0, const GroupSums& s);

// Cross-fitted control variates: for each entry, y_g (group means of the target) corrected by b_{-g} . x_g, b
// fitted by least squares (with intercept) on the other live groups. xs[j]: group means of covariate j (mean 0
// exactly). Returns the corrected group means (NaN for groups with no terms).
std::vector<double> cross_fitted(const std::vector<double>& y, const std::vector<std::vector<double>>& xs,
                                 const std::vector<double>& counts);

// Agreement of two estimates made from the same groups: per entry z = mean(a - b) / MCSE(a - b) (the difference's
// own group spread), max |z| and chi2 over the independent (a <= b) entries.
void agreement(const std::vector<double>& sums_a, const std::vector<double>& sums_b, const GroupSums& s, double& max_z,
               double& chi2, long& dof);

}  // namespace fwmc
