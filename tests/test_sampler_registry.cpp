// Samplers are transition kernels found by name: an unknown name is an input error that lists the known ones, and
// a new sampler is one class plus one registration line. The test-only random-walk Metropolis kernel below shows
// it, and must still sample the Gaussian target of test_samplers.cpp exactly.
#include <gtest/gtest.h>

#include <algorithm>

#include "fwmc/errors.hpp"
#include "fwmc/sampler.hpp"
#include "host/samplers/metropolis.hpp"
#include "sampler_targets.hpp"

using namespace fwmc;

namespace {

// Random-walk Metropolis: theta' = theta + sqrt(2 h) xi (Langevin's proposal with the gradient left out), a
// symmetric proposal, so log alpha = U(theta) - U(theta').
template <class T>
class RandomWalkKernel final : public TransitionKernel<T> {
 public:
  RandomWalkKernel(Potential<T>& pot, const SamplerSettings& s) : pot_(pot), seed_(s.seed), prop_(pot, s.seed) {
    zero_ = Buffer<T, T>(pot.backend(), pot.state_size());
    pot.backend().fill_zero(zero_.data(), sizeof(T) * zero_.size());
  }
  double default_target_accept() const override { return 0.234; }
  void step(ChainState<T>& state, const StepInputs& in, StepInfo& info) override {
    const std::uint32_t stream = shared::stream_of(static_cast<std::uint64_t>(in.it) + 1, shared::kPurposeNoise);
    for (const auto& b : pot_.blocks())
      pot_.backend().langevin_propose(b.layout, state.theta.data() + b.offset, zero_.data() + b.offset, in.step_dev,
                                      seed_, stream, prop_.theta() + b.offset);
    prop_.evaluate();
    std::vector<double> log_alpha(state.U.size());
    for (std::size_t c = 0; c < log_alpha.size(); ++c) log_alpha[c] = state.U[c] - prop_.U()[c];
    prop_.accept(in.it, log_alpha, std::vector<std::uint8_t>(log_alpha.size(), 0), state, info);
  }

 private:
  Potential<T>& pot_;
  std::uint64_t seed_;
  MetropolisProposal<T> prop_;
  Buffer<T, T> zero_;
};

}  // namespace

TEST(SamplerRegistry, BuiltInsAreRegisteredAndAnUnknownNameIsAnInputError) {
  const auto names = sampler_names();
  for (const char* n : {"ula", "mala", "hmc"}) EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  try {
    find_sampler("nuts");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("[sampler] method = \"nuts\": must be hmc|mala|ula"), std::string::npos) << e.what();
  }
}

TEST(SamplerRegistry, ANewSamplerIsOneClassAndOneRegistrationLine) {
  register_sampler<RandomWalkKernel>("test_rwm");  // the registration line
  const test::Gaussian g = test::make_problem().posterior();
  EXPECT_LT(test::max_z(test::sample("test_rwm", 0.05, true, 1000, 6000), g.mean, g.cov), 4.0);
}
