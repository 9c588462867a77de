// Measured vs predicted kernels (docs/theory.md 9): norms of the corrections, their residual, and z-scores that
// account for both the MCSE and the theory's own Monte Carlo error. The norms' standard errors come from the chain
// groups (functional_se), since the entries are correlated.
#pragma once
#include <vector>

#include "fwmc/kernel_accumulator.hpp"
#include "fwmc/theory.hpp"

namespace fwmc {

struct LayerComparison {
  int layer = 0;
  bool has_theory = false;
  double frob_dK_exp = 0, frob_dK_exp_se = 0;  // ||<K>_exp - K0||
  double frob_dK_th = 0, frob_dK_th_se = 0;    // ||K_th - K0||
  double frob_exp_minus_th = 0, frob_exp_minus_th_se = 0;
  double frob_mcse = 0;                // sqrt(sum MCSE^2): the noise's mean contribution to ||dK_exp||^2
  double frob_theory_mcse = 0;         // sqrt(sum theory SE^2), 0 for a closed form
  double rel_err = 0, rel_err_se = 0;  // ||dK_exp - dK_th|| / ||dK_th||
  double max_abs_z = 0;                // max |mean - theory| / sqrt(mcse^2 + se_th^2)
  double chi2 = 0;                     // sum z^2 over the independent (upper-triangle) entries
  long dof = 0;
  double max_abs_z_nngp = 0;  // same against the NNGP kernel
};

// Frobenius norm of a and its standard error to first order, where a = sum_k (+-) x_k + const over independent
// noisy estimates x_k given by their groups (exact terms are left out): the SEs of u . x_k, u = a / ||a||, added
// in quadrature. NaN when a source has fewer than two groups.
void frob_with_se(const std::vector<double>& a, const std::vector<const GroupMeans*>& sources, double& norm,
                  double& norm_se);

LayerComparison compare_layer(const LayerTheory& t, const KernelEstimate& e);

}  // namespace fwmc
