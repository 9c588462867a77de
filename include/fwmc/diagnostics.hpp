// Convergence diagnostics on per-chain scalar traces, as Stan and ArviZ define them (Vehtari, Gelman, Simpson,
// Carpenter, Buerkner 2021), plus nested R-hat over chain groups (Margossian et al. 2024). Each input is one
// vector per chain, all of equal length. Constant or non-finite input, or chains shorter than 4, give NaN.
#pragma once
#include <vector>

namespace fwmc {

using Chains = std::vector<std::vector<double>>;

double rhat_basic(const Chains& x);  // classic R-hat, no split, no ranks
double rhat_rank(const Chains& x);   // max(bulk, tail) rank-normalised split R-hat
double ess_bulk(const Chains& x);    // rank-normalised split ESS
double ess_tail(const Chains& x);    // min ESS of the 5% and 95% quantile indicators
// Nested R-hat: chains grouped into `groups` superchains of equal size (consecutive chains).
double rhat_nested(const Chains& x, int groups);

// Drift between the first and second half of the draws, pooled over chains, in standard errors from the spread
// of the `groups` independent chain groups. R-hat compares chains with each other and cannot see a transient that
// all chains share (they all start from the prior); this can.
double drift_z(const Chains& x, int groups);

// Building blocks (exposed for tests).
Chains split_chains(const Chains& x);
Chains z_scale(const Chains& x);   // pooled average ranks -> normal scores
double rhat_raw(const Chains& x);  // Gelman-Rubin on the given chains
double ess_raw(const Chains& x);   // Geyer initial-monotone ESS on the given chains
double inverse_normal_cdf(double p);

}  // namespace fwmc
