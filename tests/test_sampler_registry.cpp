// Samplers are transition kernels found by name: an unknown name is an input error that lists the known ones, and
// a new sampler is one class plus one registration line. The test-only random-walk Metropolis kernel below shows
// it: it must sample the Gaussian target of test_samplers.cpp exactly, and once registered a config may name it.
#include <gtest/gtest.h>

#include <algorithm>

#include "fwmc/config.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/run_plan.hpp"
#include "fwmc/run_sampling.hpp"
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
    EXPECT_NE(std::string(e.what()).find("[sampler] method = \"nuts\": must be hmc|mala|ula"), std::string::npos)
        << e.what();
  }
}

TEST(SamplerRegistry, ANewSamplerIsOneClassAndOneRegistrationLine) {
  register_sampler<RandomWalkKernel>("test_rwm");  // the registration line
  const test::Gaussian g = test::make_problem().posterior();
  EXPECT_LT(test::max_z(test::sample("test_rwm", 0.05, true, 1000, 6000), g.mean, g.cov), 4.0);
}

TEST(SamplerRegistry, ARegisteredSamplerIsAValidConfigMethodAndRunsAWholeJob) {
  register_sampler<RandomWalkKernel>("test_rwm");
  const Config c =
      load_default_config({"sampler.method=test_rwm", "model.widths=[4,4]", "data.n_train=5", "data.n_test=1",
                           "sampler.chains=4", "sampler.groups=2", "sampler.warmup=10", "sampler.samples=20"});
  const Dataset d = load_dataset(c);
  const RunPlan plan = plan_run(c, d, 1);
  EXPECT_EQ(plan.sampler, &find_sampler("test_rwm"));
  const RunResult r = run_sampling(plan, d, Eigen::MatrixXd::Identity(d.P, d.P));
  EXPECT_EQ(r.traces.draws, 20);
  EXPECT_EQ(r.kernels.size(), 2u);
}

TEST(SamplerRegistry, TheMemoryModelCountsAKernelsOwnVectors) {
  auto per_chain = [](const char* method) {
    const Config c = load_default_config(
        {std::string("sampler.method=") + method, "model.widths=[4,4]", "data.n_train=5", "data.n_test=1"});
    const RunPlan plan = plan_run(c, load_dataset(c), 1);
    return std::make_pair(plan.memory.per_chain, plan.model.total_params());
  };
  const auto [hmc, params] = per_chain("hmc");
  EXPECT_EQ(find_sampler("hmc").extra_vectors(), 1);
  EXPECT_EQ(find_sampler("mala").extra_vectors(), 0);
  EXPECT_EQ(hmc - per_chain("mala").first, static_cast<std::size_t>(params) * sizeof(float));  // the momentum
}
