// HMC (docs/theory.md 10): momenta ~ N(0, M), leapfrog_steps leapfrog steps, Metropolis on the energy error;
// a transition with dH > divergence_threshold (or non-finite) is divergent and rejected.
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
  HmcKernel(Potential<T>& pot, const SamplerSettings& s) : pot_(pot), be_(pot.backend()), s_(s), prop_(pot, s.seed, 2) {
    if (s_.mass.empty()) s_.mass.assign(pot.blocks().size(), 1.0);
    momentum_ = Buffer<T, T>(be_, pot.state_size());
    jittered_ = Buffer<double, T>(be_, pot.chains());
  }

  void step(ChainState<T>& state, const StepInputs& in_, StepInfo& info) override {
    const std::uint32_t stream = shared::stream_of(static_cast<std::uint64_t>(in_.it) + 1, shared::kPurposeNoise);
    const StepInputs in = jitter(in_);
    const auto& blocks = pot_.blocks();
    draw_momenta(stream);
    // Leapfrog: half kick, drift, gradient, half kick, with each step's closing half kick done together with the
    // next step's opening one and its drift (the same operations in the same order, one pass over memory). The
    // first drift reads the current state, so the trajectory starts without copying it.
    for (int s = 0; s < s_.leapfrog_steps; ++s) {
      const T* g = s == 0 ? state.grad.data() : prop_.grad();
      const T* x = s == 0 ? state.theta.data() : prop_.theta();
      for (std::size_t k = 0; k < blocks.size(); ++k) {
        const auto& b = blocks[k];
        be_.kick_drift(b.layout, g + b.offset, in.step_dev, s == 0 ? 1 : 2, 1.0 / s_.mass[k],
                       momentum_.data() + b.offset, x + b.offset, prop_.theta() + b.offset);
      }
      // U is needed at the trajectory's end only: the inner steps copy nothing back to the host.
      if (s + 1 < s_.leapfrog_steps)
        prop_.evaluate_gradient();
      else
        prop_.evaluate_deferred();
    }
    for (const auto& b : blocks)
      be_.kick(b.layout, prop_.grad() + b.offset, in.step_dev, 0.5, momentum_.data() + b.offset);
    const int C = pot_.chains();
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
};

}  // namespace fwmc

FWMC_SAMPLER(hmc, fwmc::HmcKernel)
