// Unadjusted Langevin (docs/theory.md 10): theta' = theta - h grad U + sqrt(2h) xi, always taken. Biased by O(h).
#include <cmath>
#include <utility>

#include "fwmc/transition.hpp"
#include "kernels/shared/philox.cuh"

namespace fwmc {

template <class T>
class UlaKernel final : public TransitionKernel<T> {
 public:
  UlaKernel(Potential<T>& pot, const SamplerSettings& s) : pot_(pot), be_(pot.backend()), seed_(s.seed) {
    prop_ = Buffer<T, T>(be_, pot.state_size());
  }
  bool adapts() const override { return false; }  // no acceptance to adapt to
  bool may_leave_finite() const override { return true; }

  void step(ChainState<T>& state, const StepInputs& in, StepInfo& info) override {
    const std::uint32_t stream = shared::stream_of(static_cast<std::uint64_t>(in.it) + 1, shared::kPurposeNoise);
    for (const auto& b : pot_.blocks())
      be_.langevin_propose(b.layout, state.theta.data() + b.offset, state.grad.data() + b.offset, in.step_dev, seed_,
                           stream, prop_.data() + b.offset);
    std::swap(state.theta, prop_);
    pot_.evaluate(state.theta.data(), state.grad.data(), state.U);
    for (std::size_t c = 0; c < state.U.size(); ++c) {
      info.nonfinite[c] = !std::isfinite(state.U[c]);
      info.accept_prob[c] = 1.0;
      info.accepted[c] = 1;
    }
  }

 private:
  Potential<T>& pot_;
  Backend<T>& be_;
  std::uint64_t seed_;
  Buffer<T, T> prop_;
};

}  // namespace fwmc

FWMC_SAMPLER(ula, fwmc::UlaKernel)
