// Memory model of a sampling job: what a chain batch allocates on its backend, computed before allocating.
#pragma once
#include <cstddef>

#include "fwmc/config.hpp"
#include "fwmc/model.hpp"
#include "fwmc/theory.hpp"

namespace fwmc {

struct MemoryEstimate {
  std::size_t per_chain = 0;  // bytes that scale with the number of chains in a batch
  std::size_t shared = 0;     // bytes per batch independent of chains (data, Phi, kernel accumulators)
  std::size_t total(int chains) const { return per_chain * static_cast<std::size_t>(chains) + shared; }
};

// N = train + test inputs, P = train inputs; batch = chains advanced together; groups_in_batch accumulate kernels.
// `sel` is the part of each kernel accumulated (output.kernel_inputs / kernel_positions).
MemoryEstimate estimate_memory(const ModelSpec& m, int N, int P, const SamplerConfig& s, int batch,
                               const KernelSelection& sel = {});

}  // namespace fwmc
