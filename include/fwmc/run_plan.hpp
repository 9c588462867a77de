// A sampling job's config resolved once, before anything is allocated or written: the model's shape, the device,
// the working precision, the estimator, the kernel entries, the sampler, the run's sizes, the chain batch and the
// memory it needs. Every layer below the jobs takes the plan, typed, never the Config, so each value is worked out
// in one place.
#pragma once
#include <string>

#include "fwmc/config.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/device_select.hpp"
#include "fwmc/kernel_tensor.hpp"
#include "fwmc/memory_model.hpp"
#include "fwmc/model_spec.hpp"
#include "fwmc/stein_estimator.hpp"
#include "fwmc/theory.hpp"
#include "fwmc/transition.hpp"

namespace fwmc {

inline const char* precision_name(Precision p) { return name_of(p); }

struct RunPlan {
  std::string source;  // the config's name, for messages
  ModelSpec model;
  int N = 0, P = 0;             // inputs (train + test) and training inputs
  bool weight_product = false;  // U and grad U through the weight product (ModelSpec::evaluation)
  DeviceChoice device;
  Precision precision = Precision::f32;
  EstimatorChoice estimator = EstimatorChoice::stein;
  KernelSelection selection;  // the kernel entries accumulated
  const SamplerFactory* sampler = nullptr;
  SamplerSettings settings;
  int ranks = 1, chain_batch = 0;  // processes; chains advanced together
  // The run's sizes: chains in groups, warm-up, kept draws and thinning; the drop policy's budget; beta.
  int chains = 0, groups = 0, warmup = 0, samples = 0, thin = 1;
  long divergence_budget = -1;
  double beta = 1;
  MemoryEstimate memory;
  TheoryOptions theory;  // what the comparison's theory is computed with

  int batches() const { return chains / chain_batch; }
  int groups_per_batch() const { return chain_batch / (chains / groups); }
  long iterations() const { return warmup + static_cast<long>(samples) * thin; }
  // Kernel entries per group sum: (D M)^2, or D M^2 for the spatial diagonal.
  std::size_t entries() const;
  bool stein() const { return estimator != EstimatorChoice::plain; }
};

// Resolves and checks config c for data d and `ranks` processes: InputError naming the key for an unknown sampler,
// a missing device, a chain count that cannot be shared, a kernel input out of range, and (with check_fit) a job
// that does not fit in memory.
RunPlan plan_run(const Config& c, const Dataset& d, int ranks, bool check_fit = true);

// The sampler's settings from the config's [sampler] section.
SamplerSettings sampler_settings(const SamplerConfig& sc);

// The factory of c's [sampler] method; an InputError naming the file and key otherwise.
const SamplerFactory& resolve_sampler(const Config& c);

// Chains advanced together: sampler.chain_batch (0: all on a GPU; on the CPU as many as keep a step's vectors
// cache-sized), or the chains split evenly over `ranks` processes when there would be fewer batches than processes.
// InputError naming the key when that cannot be done. Needs p's model, device, precision, sampler, N.
int chain_batch_size(const Config& c, const RunPlan& p, int ranks);

}  // namespace fwmc
