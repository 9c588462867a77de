// Memory model of a sampling job, computed before allocating: what a chain batch allocates on its backend (per
// chain and shared), and what the host keeps (the per-chain traces for diagnostics, the kernel group sums).
// `fwmc run --dry-run` prints it; check_memory refuses a job that cannot fit.
#pragma once
#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

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
  std::size_t host = 0;  // the host's peak: host_always + max(host_with_backend, host_after)
  std::vector<MemoryItem> per_chain_items, shared_items, host_items;
  // Backend bytes of one batch.
  std::size_t total(int chains) const { return per_chain * static_cast<std::size_t>(chains) + shared; }
  // Peak when backend and host share one memory (the CPU backend).
  std::size_t peak_same_memory(int chains) const {
    return host_always + std::max(total(chains) + host_with_backend, host_after);
  }
};

struct RunPlan;

// What plan's job allocates: its model, data sizes, sampler, chain batch, kernel selection and estimator.
MemoryEstimate estimate_memory(const RunPlan& plan);

// Per chain, the parameter-sized vectors (theta, gradient, proposal, its gradient, the sampler's own) and the
// activations Z, H of every layer: two items of estimate_memory, which the CPU's chain batching also sizes by.
std::size_t state_vector_bytes(const RunPlan& plan);
std::size_t activation_bytes(const RunPlan& plan);

// The plan's estimate as text: itemised bytes and totals for its chains and batching.
std::string describe_memory(const RunPlan& plan);

// Throws InputError naming the config key and a chain count that fits when the job cannot fit in memory on the
// plan's device (90% of its free memory, or of the machine's RAM).
void check_memory(const RunPlan& plan);

}  // namespace fwmc
