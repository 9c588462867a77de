// docs/theory.md 8: the exact finite-width reference for small problems. Self-normalised importance sampling from
// the prior over the hidden weights with the readout integrated out: w = prod_i N(Y_i; 0, K_out(T,T) + I/beta).
#pragma once
#include <string>
#include <vector>

#include "fwmc/config.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/kernel_accumulator.hpp"
#include "fwmc/model_spec.hpp"

namespace fwmc {

struct OracleResult {
  std::vector<KernelEstimate> kernels;  // layers 1..L: weighted mean and its standard error
  long draws = 0;
  double ess = 0;               // (sum w)^2 / sum w^2
  double max_weight_share = 0;  // largest normalised weight
  double seconds = 0;
  std::vector<std::string> warnings;
};

OracleResult run_oracle(const Config& c, const ModelSpec& m, const Dataset& d, long draws);

}  // namespace fwmc
