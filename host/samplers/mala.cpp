// MALA (docs/theory.md 10): the Langevin proposal, accepted with the Metropolis-Hastings ratio.
#include <vector>

#include "fwmc/transition.hpp"
#include "host/samplers/metropolis.hpp"
#include "kernels/shared/philox.cuh"

namespace fwmc {

template <class T>
class MalaKernel final : public TransitionKernel<T> {
 public:
  MalaKernel(Potential<T>& pot, const SamplerSettings& s)
      : pot_(pot), be_(pot.backend()), seed_(s.seed), prop_(pot, s.seed, 2), none_(pot.chains(), 0) {}
  double default_target_accept() const override { return 0.574; }

  void step(ChainState<T>& state, const StepInputs& in, StepInfo& info) override {
    const std::uint32_t stream = shared::stream_of(static_cast<std::uint64_t>(in.it) + 1, shared::kPurposeNoise);
    const auto& blocks = pot_.blocks();
    const int C = pot_.chains();
    for (const auto& b : blocks)
      be_.langevin_propose(b.layout, state.theta.data() + b.offset, state.grad.data() + b.offset, in.step_dev, seed_,
                           stream, prop_.theta() + b.offset);
    prop_.evaluate_deferred();
    double* qf = prop_.kernel_sums(0);
    double* qb = prop_.kernel_sums(1);
    be_.fill_zero(qf, sizeof(double) * C);
    be_.fill_zero(qb, sizeof(double) * C);
    for (const auto& b : blocks) {
      // forward: ||theta' - theta + h g(theta)||^2 ; backward: ||theta - theta' + h g(theta')||^2
      be_.mala_q(b.layout, prop_.theta() + b.offset, state.theta.data() + b.offset, state.grad.data() + b.offset,
                 in.step_dev, qf);
      be_.mala_q(b.layout, state.theta.data() + b.offset, prop_.theta() + b.offset, prop_.grad() + b.offset,
                 in.step_dev, qb);
    }
    const std::vector<double> q = prop_.collect();  // U' and both densities: the step's one copy back
    std::vector<double> log_alpha(C);
    for (int c = 0; c < C; ++c) log_alpha[c] = -(prop_.U()[c] - state.U[c]) + (q[c] - q[C + c]) / (4 * (*in.step)[c]);
    prop_.accept(in.it, log_alpha, none_, state, info);
  }

 private:
  Potential<T>& pot_;
  Backend<T>& be_;
  std::uint64_t seed_;
  MetropolisProposal<T> prop_;
  std::vector<std::uint8_t> none_;  // MALA rejects nothing outright
};

}  // namespace fwmc

FWMC_SAMPLER(mala, fwmc::MalaKernel)
