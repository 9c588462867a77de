// From per-group sums to an estimate with its Monte Carlo standard error: independent chain groups, so their
// spread is the error. Also the reordering of raw (D N x D N) kernels into KernelTensor order.
#pragma once
#include <vector>

#include "fwmc/kernel_tensor.hpp"

namespace fwmc {

// Each live group's own estimate and its share of the terms (weights sum to 1; the estimate is sum_g w_g means[g]).
// The entries of a kernel estimate are correlated (every entry comes from the same chains), so the standard error
// of any function of many entries, such as a norm, must come from how that function varies over the groups: the
// entries' MCSEs alone cannot give it (at P = 1000 they understated a norm's SE ~200-fold).
struct GroupMeans {
  std::vector<KernelTensor> means;
  std::vector<double> weights;
  bool empty() const { return means.empty(); }
};

struct KernelEstimate {
  KernelTensor mean, mcse;
  GroupMeans groups;  // kept only where a functional's SE is needed (the reported kernels): groups x entries
};

// Reorders `groups` consecutive (D N x D N) column-major kernels (row i*N + a, column j*N + b) into KernelTensor
// order ((a*N + b)*D + i)*D + j. diag: the raw kernels are D blocks of (N x N), block i holding K(.,.)_ii, and
// the result is in the spatial-diagonal order (a*N + b)*D + i.
std::vector<double> kernel_order(const std::vector<double>& raw, int groups, int N, int D, bool diag = false);

// Group sums -> estimate and MCSE: groups are independent chains, so their spread is the error. counts[g] is the
// number of (chain, draw) terms in group g's sum (equal unless chains were dropped): the mean is sum / count over
// all groups, and the MCSE the spread of the group means weighted by their counts (groups with none are skipped).
KernelEstimate estimate_from_groups(const std::vector<double>& group_sums, int groups, int N, int D,
                                    const std::vector<double>& counts, bool diag = false);

// The live groups' own estimates from the same group sums (KernelTensor order) and counts.
GroupMeans group_means(const std::vector<double>& group_sums, int groups, int N, int D,
                       const std::vector<double>& counts, bool diag = false);

// Standard error of the linear functional u . mean from the spread of u . means[g] over the groups, weighted as
// the entries' MCSEs are. To first order in the noise, this is the SE of any smooth function of the estimate whose
// gradient is u (a norm: u = d / ||d||). NaN with fewer than two groups.
double functional_se(const GroupMeans& g, const std::vector<double>& u);

}  // namespace fwmc
