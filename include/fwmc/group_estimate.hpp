// From per-group sums to an estimate with its Monte Carlo standard error: independent chain groups, so their
// spread is the error. Also the reordering of raw (D N x D N) kernels into KernelTensor order.
#pragma once
#include <vector>

#include "fwmc/kernel_tensor.hpp"

namespace fwmc {

struct KernelEstimate {
  KernelTensor mean, mcse;
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

}  // namespace fwmc
