// The driver of a transition kernel (transition.hpp) over many chains: it owns the state (position, potential,
// gradient), draws the start from the prior, adapts step sizes by dual averaging during warm-up, checks for
// non-finite states and saves and restores everything for checkpoints. The kernel (ULA, MALA, HMC, ...) is picked
// by SamplerSettings::method. Per-chain scalars (acceptance, step-size adaptation) live on the host in double.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "fwmc/checkpoint.hpp"
#include "fwmc/transition.hpp"

namespace fwmc {

// Dual averaging of log step size (Hoffman & Gelman 2014, gamma 0.05, t0 10, kappa 0.75, mu = log(10 h0)).
struct DualAveraging {
  double mu = 0, h_bar = 0, log_h = 0, log_h_bar = 0;
  long t = 0;
  void init(double h0) {
    mu = std::log(10 * h0);
    h_bar = 0;
    log_h = std::log(h0);
    log_h_bar = 0;
    t = 0;
  }
  // Returns the next step size after observing acceptance statistic `alpha`.
  double update(double alpha, double target);
  double final_step() const { return t > 0 ? std::exp(log_h_bar) : std::exp(log_h); }
};

template <class T>
class Sampler {
 public:
  Sampler(Potential<T>& pot, SamplerSettings s);
  // theta ~ prior (per block N(0, prior_std^2)), U and grad evaluated.
  void init_from_prior();
  // One transition at iteration `it` (the RNG counter).
  const StepInfo& step(long it);
  // Warm-up: adapt step sizes from the last step's acceptance; freeze at the end.
  void adapt_step_sizes();
  void freeze_step_sizes();

  // The complete state between two steps (theta, grad, U, step sizes, adaptation), for checkpoints. The RNG
  // needs nothing: it is counter-based on the iteration.
  void save(CheckpointData& ck, const std::string& prefix) const;
  void load(const CheckpointData& ck, const std::string& prefix);

  ChainState<T>& state() { return state_; }
  const StepInfo& info() const { return info_; }
  const std::vector<double>& step_sizes() const { return step_; }
  void set_step_sizes(const std::vector<double>& h);
  double target_accept() const;

 private:
  void upload_steps();
  void check_state(bool weights);  // fills info_.bad_state

  Potential<T>& pot_;
  Backend<T>& be_;
  SamplerSettings s_;
  int C_;
  std::unique_ptr<TransitionKernel<T>> kernel_;
  ChainState<T> state_;
  Buffer<double, T> step_dev_;
  Buffer<std::uint8_t, T> flags_;
  std::vector<double> step_;
  std::vector<DualAveraging> da_;
  StepInfo info_;
};

}  // namespace fwmc
