// Memory model of a sampling job, computed before allocating: what a chain batch allocates on its backend (per
// chain and shared), and what the host keeps (the per-chain traces for diagnostics, the kernel group sums).
// `fwmc run --dry-run` prints it; check_memory refuses a job that cannot fit.
#pragma once
#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "fwmc/config.hpp"
#include "fwmc/device_select.hpp"
#include "fwmc/model_spec.hpp"
#include "fwmc/theory.hpp"

namespace fwmc {

struct MemoryItem {
  std::string name;
  std::size_t bytes = 0;
};

struct MemoryEstimate {
  std::size_t per_chain = 0;  // backend bytes that scale with the number of chains in a batch
  std::size_t shared = 0;     // backend bytes per batch independent of chains (data, Phi, kernel accumulators)
  // Host bytes: held throughout (theory tensors), while a batch's backend memory is live (traces and group sums
  // being merged), and after sampling (the run's traces and sums, the kernel estimates and the diagnostics).
  std::size_t host_always = 0, host_with_backend = 0, host_after = 0;
  std::size_t host = 0;       // the host's peak: host_always + max(host_with_backend, host_after)
  std::vector<MemoryItem> per_chain_items, shared_items, host_items;
  // Backend bytes of one batch.
  std::size_t total(int chains) const { return per_chain * static_cast<std::size_t>(chains) + shared; }
  // Peak when backend and host share one memory (the CPU backend).
  std::size_t peak_same_memory(int chains) const {
    return host_always + std::max(total(chains) + host_with_backend, host_after);
  }
};

// N = train + test inputs, P = train inputs; batch = chains advanced together; `sel` the kernel entries
// accumulated (output.kernel_inputs / kernel_positions); stein: the Stein statistics too (output.estimator).
MemoryEstimate estimate_memory(const ModelSpec& m, int N, int P, const SamplerConfig& s, int batch,
                               const KernelSelection& sel = {}, bool stein = false);
// The same for a run of config c (its sampler, kernel selection and estimator).
MemoryEstimate estimate_memory(const Config& c, const ModelSpec& m, int N, int P, int batch);

// The estimate as text: itemised bytes and totals for the config's chains and batching.
std::string describe_memory(const MemoryEstimate& e, const SamplerConfig& s, int batch, bool same_memory);

// Throws InputError naming the config key and a chain count that fits when the job cannot fit in memory on the
// chosen device (90% of its free memory, or of the machine's RAM).
void check_memory(const Config& c, const DeviceChoice& d, const MemoryEstimate& e, int batch);

}  // namespace fwmc
