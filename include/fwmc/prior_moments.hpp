// docs/theory.md 7: the leading-order posterior kernel for any architecture from exact prior moments,
// <K_l> ~ E_prior[K_l] + (n_d / 2) Cov_prior[K_l, q],  q = sum_{mu nu in T} Phi_{mu nu} K_out(mu, nu),
// estimated from M i.i.d. prior networks at the actual widths (batched like chains on a backend).
#pragma once
#include <cstdint>
#include <vector>

#include "fwmc/config.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/kernel_accumulator.hpp"
#include "fwmc/model_spec.hpp"
#include "fwmc/theory.hpp"

namespace fwmc {

struct PriorMomentResult {
  std::vector<KernelEstimate> theory;      // per layer: E[K_l] + (n_d/2) Cov[K_l, q], with its standard error
  std::vector<KernelEstimate> prior_mean;  // per layer: E_prior[K_l] (differs from the NNGP at O(1/n) when nonlinear)
  long draws = 0;
};

// phi: P x P (docs/theory.md 3). Standard errors from `groups` independent batches of draws.
PriorMomentResult prior_moment_theory(const PriorSourceFactory& prior, const ModelSpec& m, const Dataset& d,
                                      const Eigen::MatrixXd& phi, long draws, std::uint64_t seed,
                                      int groups = kTheoryGroups);

}  // namespace fwmc
