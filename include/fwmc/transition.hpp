// Transition kernels in BlackJAX's sense: a kernel moves every chain of a ChainState one step, given per-chain step
// sizes and the iteration (the counter of the RNG streams), and records what it did in a StepInfo. The model enters
// only through Potential::evaluate. Step-size adaptation, checkpoints and the non-finite checks are not a kernel's
// business: Sampler (sampler.hpp) drives whichever kernel the registry below names.
//
// Adding a sampler: one new file in host/samplers/ that defines the kernel class template and ends with
// FWMC_SAMPLER(name, Kernel), plus `X(name)` in fwmc/sampler_names.hpp's list (the config and the registry both
// read it). register_sampler<Kernel>(name) adds one at run time (tests do this).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "fwmc/potential.hpp"

namespace fwmc {

struct SamplerSettings {
  std::string method = "hmc";  // a registered sampler: ula | mala | hmc
  double step_size = 0.01;     // initial (adapted during warm-up unless the kernel does not adapt or adapt = false)
  int leapfrog_steps = 10;
  // HMC: a trajectory length in time units instead of a step count. Each chain takes round(T / h_c) leapfrog steps
  // (at least 1, at most kMaxLeapfrogSteps), h_c its own adapted step size before jitter, so the time integrated
  // stays near T as the step size shrinks with width (a fixed count integrates ever shorter times: slower mixing
  // of the prior-dominated directions). 0: leapfrog_steps for every chain.
  double trajectory_length = 0;
  // HMC: each chain's step size, and so its path length L h, is drawn uniformly in h (1 +- jitter) at every
  // iteration from the chain's own stream (a fixed L h near half a period of a statistic's oscillation inflates its
  // autocorrelation; Stan and NumPyro jitter for the same reason). 0: no jitter.
  double jitter = 0;
  double target_accept = 0;  // 0: the kernel's default (MALA 0.574, HMC 0.8)
  bool adapt = true;
  std::uint64_t seed = 0;
  std::vector<double> mass;  // HMC diagonal mass per parameter block (empty: identity)
  double divergence_threshold = 1000.0;
};

// Most leapfrog steps one HMC trajectory may take with a trajectory length (a bound on a step size collapsed in an
// early warm-up).
constexpr int kMaxLeapfrogSteps = 1024;

// HMC's leapfrog steps for a chain whose step size (before jitter) is h.
inline int hmc_leapfrog_steps(const SamplerSettings& s, double h) {
  if (!(s.trajectory_length > 0)) return s.leapfrog_steps;
  const double n = std::round(s.trajectory_length / h);
  return std::isnan(n) || n >= kMaxLeapfrogSteps ? kMaxLeapfrogSteps : std::max(1, static_cast<int>(n));
}

// The chain-batched state: theta, grad U (backend memory), U per chain (host).
template <class T>
struct ChainState {
  Buffer<T, T> theta, grad;
  std::vector<double> U;
};

// What one transition did, per chain.
struct StepInfo {
  std::vector<double> accept_prob;  // min(1, exp(log alpha)); 1 for ULA
  std::vector<std::uint8_t> accepted;
  std::vector<std::uint8_t> divergent;  // HMC: dH > threshold or non-finite
  std::vector<std::uint8_t> nonfinite;  // proposal's U non-finite
  std::vector<std::uint8_t> bad_state;  // the chain's current state is non-finite (U; ULA: also theta or grad)
};

// What a step needs besides the state.
struct StepInputs {
  long it = 0;                                // iteration: the RNG counter
  const std::vector<double>* step = nullptr;  // step size per chain (host)
  const double* step_dev = nullptr;           // the same in backend memory
};

template <class T>
class TransitionKernel {
 public:
  virtual ~TransitionKernel() = default;
  virtual void step(ChainState<T>& state, const StepInputs& in, StepInfo& info) = 0;
  // Dual averaging's target when the config sets none, and whether step sizes adapt at all.
  virtual double default_target_accept() const { return 0.8; }
  virtual bool adapts() const { return true; }
  // Whether a chain can move to a non-finite state (then the driver also checks theta and grad after a step).
  virtual bool may_leave_finite() const { return false; }
};

// Makes a kernel for either precision.
class SamplerFactory {
 public:
  virtual ~SamplerFactory() = default;
  virtual std::unique_ptr<TransitionKernel<float>> make(Potential<float>& p, const SamplerSettings& s) const = 0;
  virtual std::unique_ptr<TransitionKernel<double>> make(Potential<double>& p, const SamplerSettings& s) const = 0;
  // Parameter-sized backend vectors a kernel keeps besides the state and one proposal (HMC: the momentum), for the
  // memory model. A kernel declares them as `static constexpr int kExtraVectors`; none declared: 0.
  virtual int extra_vectors() const = 0;
  // Gradient evaluations per iteration of a chain whose step size (before jitter) is h, for cost estimates and
  // the summary. A kernel declares `static int gradients_per_iteration(const SamplerSettings&, double)`; none: 1.
  virtual int gradients_per_iteration(const SamplerSettings& s, double h) const = 0;
};

template <class K, class = void>
struct ExtraVectorsOf {
  static constexpr int value = 0;
};
template <class K>
struct ExtraVectorsOf<K, std::void_t<decltype(K::kExtraVectors)>> {
  static constexpr int value = K::kExtraVectors;
};

template <class K, class = void>
struct GradientsOf {
  static int value(const SamplerSettings&, double) { return 1; }
};
template <class K>
struct GradientsOf<K, std::void_t<decltype(K::gradients_per_iteration(SamplerSettings{}, 1.0))>> {
  static int value(const SamplerSettings& s, double h) { return K::gradients_per_iteration(s, h); }
};

template <template <class> class Kernel>
class FactoryOf final : public SamplerFactory {
 public:
  std::unique_ptr<TransitionKernel<float>> make(Potential<float>& p, const SamplerSettings& s) const override {
    return std::make_unique<Kernel<float>>(p, s);
  }
  std::unique_ptr<TransitionKernel<double>> make(Potential<double>& p, const SamplerSettings& s) const override {
    return std::make_unique<Kernel<double>>(p, s);
  }
  int extra_vectors() const override { return ExtraVectorsOf<Kernel<float>>::value; }
  int gradients_per_iteration(const SamplerSettings& s, double h) const override {
    return GradientsOf<Kernel<float>>::value(s, h);
  }
};

void register_sampler(const std::string& name, std::unique_ptr<SamplerFactory> factory);
template <template <class> class Kernel>
void register_sampler(const std::string& name) {
  register_sampler(name, std::make_unique<FactoryOf<Kernel>>());
}
// The factory of a registered sampler; an InputError naming the registered ones otherwise.
const SamplerFactory& find_sampler(const std::string& name);
std::vector<std::string> sampler_names();

}  // namespace fwmc

// Ends a sampler's file: defines the factory function that host/samplers/transition.cpp lists. (Kernel names a
// class template, which cannot be parenthesised.)
#define FWMC_SAMPLER(name, Kernel)                                                               \
  std::unique_ptr<fwmc::SamplerFactory> fwmc_sampler_##name() {                                  \
    return std::make_unique<fwmc::FactoryOf<Kernel>>(); /* NOLINT(bugprone-macro-parentheses) */ \
  }
