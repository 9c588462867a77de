// HMC (docs/theory.md 10): momenta ~ N(0, M), leapfrog_steps leapfrog steps (or, with a trajectory length, each
// chain its own count), Metropolis on the energy error; a transition with dH > divergence_threshold (or
// non-finite) is divergent and rejected.
#include <algorithm>
#include <cmath>
#include <vector>

#include "fwmc/transition.hpp"
#include "host/samplers/metropolis.hpp"
#include "kernels/shared/philox.cuh"

namespace fwmc {

template <class T>
class HmcKernel final : public TransitionKernel<T> {
 public:
  static constexpr int kExtraVectors = 1;  // the momentum
  static int gradients_per_iteration(const SamplerSettings& s, double h) { return hmc_leapfrog_steps(s, h); }
  HmcKernel(Potential<T>& pot, const SamplerSettings& s) : pot_(pot), be_(pot.backend()), s_(s), prop_(pot, s.seed, 2) {
    if (s_.mass.empty()) s_.mass.assign(pot.blocks().size(), 1.0);
    momentum_ = Buffer<T, T>(be_, pot.state_size());
    jittered_ = Buffer<double, T>(be_, pot.chains());
    if (s_.trajectory_length > 0) {
      moving_ = Buffer<double, T>(be_, pot.chains());
      closing_ = Buffer<double, T>(be_, pot.chains());
    }
  }

  void step(ChainState<T>& state, const StepInputs& in_, StepInfo& info) override {
    const std::uint32_t stream = shared::stream_of(static_cast<std::uint64_t>(in_.it) + 1, shared::kPurposeNoise);
    const StepInputs in = jitter(in_);
    const auto& blocks = pot_.blocks();
    draw_momenta(stream);
    const int C = pot_.chains();
    const int steps = plan_steps(*in_.step);
    // Leapfrog: half kick, drift, gradient, half kick, with each step's closing half kick done together with the
    // next step's opening one and its drift (the same operations in the same order, one pass over memory). The
    // first drift reads the current state, so the trajectory starts without copying it. With per-chain counts, a
    // chain past its last step moves with step 0 (its state stays put) after one closing half kick of its own.
    const double* moving = in.step_dev;
    for (int s = 0; s < steps; ++s) {
      if (!counts_.empty() && s > 0 && closes_at(s)) {
        upload_steps(
            *in.step, [&](int c) { return counts_[c] == s; }, closing_);
        kick_all(prop_.grad(), closing_.data(), 0.5);
        upload_steps(
            *in.step, [&](int c) { return counts_[c] > s; }, moving_);
        moving = moving_.data();
      }
      const T* g = s == 0 ? state.grad.data() : prop_.grad();
      const T* x = s == 0 ? state.theta.data() : prop_.theta();
      for (std::size_t k = 0; k < blocks.size(); ++k) {
        const auto& b = blocks[k];
        be_.kick_drift(b.layout, g + b.offset, moving, s == 0 ? 1 : 2, 1.0 / s_.mass[k], momentum_.data() + b.offset,
                       x + b.offset, prop_.theta() + b.offset);
      }
      // U is needed at the trajectory's end only: the inner steps copy nothing back to the host.
      if (s + 1 < steps)
        prop_.evaluate_gradient();
      else
        prop_.evaluate_deferred();
    }
    kick_all(prop_.grad(), moving, 0.5);  // the closing half kick of the chains that ran every step
    kinetic_energy(prop_.kernel_sums(1));
    const std::vector<double> K = prop_.collect();  // U', K0 and K1: the step's one copy back
    std::vector<double> log_alpha(C);
    for (int c = 0; c < C; ++c) {
      const double dH = prop_.U()[c] + K[C + c] - state.U[c] - K[c];
      info.divergent[c] = !std::isfinite(dH) || dH > s_.divergence_threshold;
      log_alpha[c] = -dH;
    }
    prop_.accept(in.it, log_alpha, info.divergent, state, info);
  }

 private:
  // Each chain's leapfrog count from its step size before jitter (hmc_leapfrog_steps); returns the longest.
  int plan_steps(const std::vector<double>& base) {
    if (!(s_.trajectory_length > 0)) return s_.leapfrog_steps;
    counts_.resize(base.size());
    int most = 1;
    for (std::size_t c = 0; c < base.size(); ++c) most = std::max(most, counts_[c] = hmc_leapfrog_steps(s_, base[c]));
    return most;
  }
  bool closes_at(int s) const { return std::find(counts_.begin(), counts_.end(), s) != counts_.end(); }
  // dst[c] = this iteration's step of chain c where keep(c), else 0.
  template <class Keep>
  void upload_steps(const std::vector<double>& steps, Keep keep, Buffer<double, T>& dst) {
    host_steps_.assign(steps.size(), 0.0);
    for (std::size_t c = 0; c < steps.size(); ++c)
      if (keep(static_cast<int>(c))) host_steps_[c] = steps[c];
    be_.to_device(dst.data(), host_steps_.data(), sizeof(double) * steps.size());
  }
  void kick_all(const T* grad, const double* step, double frac) {
    for (const auto& b : pot_.blocks()) be_.kick(b.layout, grad + b.offset, step, frac, momentum_.data() + b.offset);
  }
  // The step sizes of this iteration: each chain's h (1 + jitter (2 u - 1)), u from its own counter-based stream,
  // so a chain's trajectory stays a function of (seed, chain, iteration) alone.
  StepInputs jitter(const StepInputs& in) {
    if (s_.jitter <= 0) return in;
    const int C = pot_.chains();
    const std::uint64_t chain0 = pot_.blocks()[0].layout.chain0;
    const std::uint32_t stream = shared::stream_of(static_cast<std::uint64_t>(in.it) + 1, shared::kPurposeJitter);
    steps_.resize(C);
    for (int c = 0; c < C; ++c) {
      const double u = shared::uniform_open0<double>(shared::philox_block({s_.seed, chain0 + c, stream}, 0).v[0]);
      steps_[c] = (*in.step)[c] * (1 + s_.jitter * (2 * u - 1));
    }
    be_.to_device(jittered_.data(), steps_.data(), sizeof(double) * C);
    StepInputs out = in;
    out.step = &steps_;
    out.step_dev = jittered_.data();
    return out;
  }
  // p ~ N(0, M), and its kinetic energy into the proposal's first kernel sum.
  void draw_momenta(std::uint32_t stream) {
    const auto& blocks = pot_.blocks();
    for (std::size_t k = 0; k < blocks.size(); ++k) {
      const auto& b = blocks[k];
      be_.normal_scaled(b.layout, std::sqrt(s_.mass[k]), s_.seed, stream, momentum_.data() + b.offset);
    }
    kinetic_energy(prop_.kernel_sums(0));
  }
  // p^T M^-1 p / 2 per chain into K (backend memory).
  void kinetic_energy(double* K) {
    const auto& blocks = pot_.blocks();
    be_.fill_zero(K, sizeof(double) * pot_.chains());
    for (std::size_t k = 0; k < blocks.size(); ++k)
      be_.sum_squares(blocks[k].layout, momentum_.data() + blocks[k].offset, 0.5 / s_.mass[k], K);
  }

  Potential<T>& pot_;
  Backend<T>& be_;
  SamplerSettings s_;
  MetropolisProposal<T> prop_;
  Buffer<T, T> momentum_;
  Buffer<double, T> jittered_;  // this iteration's step sizes (backend)
  std::vector<double> steps_;
  // Trajectory length: each chain's leapfrog count, and the steps of the chains still moving / closing now.
  std::vector<int> counts_;
  Buffer<double, T> moving_, closing_;
  std::vector<double> host_steps_;
};

}  // namespace fwmc

FWMC_SAMPLER(hmc, fwmc::HmcKernel)
