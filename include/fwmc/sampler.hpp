// ULA, MALA and HMC over many chains (docs/theory.md 10), BlackJAX-style: a state (position, potential, gradient),
// init() and step(); per-transition diagnostics in a separate info record. The model enters only through
// Potential::evaluate. Per-chain scalars (acceptance, step-size adaptation) live on the host in double.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "fwmc/checkpoint.hpp"
#include "fwmc/potential.hpp"

namespace fwmc {

enum class Method { ula, mala, hmc };
Method parse_method(const std::string& s);

struct SamplerSettings {
  Method method = Method::hmc;
  double step_size = 0.01;     // initial (adapted during warm-up unless ULA or adapt = false)
  int leapfrog_steps = 10;
  double target_accept = 0;    // 0: 0.574 (MALA) / 0.8 (HMC)
  bool adapt = true;
  std::uint64_t seed = 0;
  std::vector<double> mass;    // HMC diagonal mass per parameter block (empty: identity)
  double divergence_threshold = 1000.0;
};

// Dual averaging of log step size (Hoffman & Gelman 2014, gamma 0.05, t0 10, kappa 0.75, mu = log(10 h0)).
struct DualAveraging {
  double mu = 0, h_bar = 0, log_h = 0, log_h_bar = 0;
  long t = 0;
  void init(double h0) { mu = std::log(10 * h0); h_bar = 0; log_h = std::log(h0); log_h_bar = 0; t = 0; }
  // Returns the next step size after observing acceptance statistic `alpha`.
  double update(double alpha, double target);
  double final_step() const { return t > 0 ? std::exp(log_h_bar) : std::exp(log_h); }
};

// The chain-batched state: theta, grad U (backend memory), U per chain (host).
template <class T>
struct ChainState {
  Buffer<T, T> theta, grad;
  std::vector<double> U;
};

// What one transition did, per chain.
struct StepInfo {
  std::vector<double> accept_prob;        // min(1, exp(log alpha)); 1 for ULA
  std::vector<std::uint8_t> accepted;
  std::vector<std::uint8_t> divergent;    // HMC: dH > threshold or non-finite
  std::vector<std::uint8_t> nonfinite;    // proposal's U non-finite
  std::vector<std::uint8_t> bad_state;    // the chain's current state is non-finite (U; ULA: also theta or grad)
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
  void step_ula(long it);
  void step_mala(long it);
  void step_hmc(long it);
  void accept_reject(long it, const std::vector<double>& log_alpha);
  void upload_steps();
  void check_state(bool weights);  // fills info_.bad_state

  Potential<T>& pot_;
  Backend<T>& be_;
  SamplerSettings s_;
  int C_;
  ChainState<T> state_;
  Buffer<T, T> prop_, prop_grad_, momentum_;
  Buffer<double, T> step_dev_, acc_a_, acc_b_;
  Buffer<std::uint8_t, T> take_;
  std::vector<double> step_, prop_U_;
  std::vector<DualAveraging> da_;
  StepInfo info_;
};

}  // namespace fwmc
