// A sampling job's config resolved once, before anything is allocated or written: the model's shape, the device,
// the working precision, the estimator, the kernel entries, the sampler, the chain batch and the memory it needs.
// Every layer below the CLI takes the plan, not the Config, so each value is worked out in one place.
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

enum class Precision { f32, f64 };
inline const char* precision_name(Precision p) { return p == Precision::f64 ? "double" : "float"; }
inline std::size_t precision_bytes(Precision p) { return p == Precision::f64 ? 8 : 4; }

struct RunPlan {
  Config config;  // as given (echoed into summary.json and the provenance)
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
  MemoryEstimate memory;
  TheoryOptions theory;  // what the comparison's theory is computed with

  int batches() const { return config.sampler.chains / chain_batch; }
  bool stein() const { return estimator != EstimatorChoice::plain; }
};

// Resolves and checks config c for data d and `ranks` processes: InputError naming the key for an unknown sampler,
// a missing device, a chain count that cannot be shared, a kernel input out of range, and (with check_fit) a job
// that does not fit in memory.
RunPlan plan_run(const Config& c, const Dataset& d, int ranks, bool check_fit = true);

// The factory of c's [sampler] method; an InputError naming the file and key otherwise.
const SamplerFactory& resolve_sampler(const Config& c);

// Chains advanced together: sampler.chain_batch (0: all), or the chains split evenly over `ranks` processes when
// there would be fewer batches than processes. InputError naming the key when that cannot be done.
int chain_batch_size(const Config& c, int ranks);

}  // namespace fwmc
