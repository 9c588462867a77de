// Whole runs on the device (ctest label `gpu`, skipped when no device answers): the prior-moment theory and the
// oracle against the CPU in double, chain batching that changes nothing, and a run interrupted after a checkpoint
// and resumed on the device that ends bitwise where an uninterrupted device run ends.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include "fwmc/dataset.hpp"
#include "fwmc/device_select.hpp"
#include "fwmc/devices.hpp"
#include "fwmc/oracle.hpp"
#include "fwmc/prior_draws.hpp"
#include "fwmc/prior_moments.hpp"
#include "fwmc/run_plan.hpp"
#include "fwmc/run_sampling.hpp"
#include "fwmc/theory.hpp"
#include "test_helpers.hpp"

using namespace fwmc;
using namespace fwmc::test;

#define FWMC_SKIP_WITHOUT_GPU() \
  if (cuda_devices().empty()) GTEST_SKIP() << "no CUDA device answers"

namespace {

const char* kRelu =
    "[data]\nn_train=5\nn_test=2\ninput_dim=4\nseed=3\n[model]\nwidths=[6,5]\nactivation='relu'\n"
    "[posterior]\nbeta=2.0\n";

Config on(const std::string& toml, const char* device, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> ov = {std::string("sampler.device=\"") + device + "\"", "sampler.precision=\"double\""};
  ov.insert(ov.end(), extra.begin(), extra.end());
  return parse_config(toml, "gpu_runs.toml", ov);
}

void expect_close(const KernelEstimate& a, const KernelEstimate& b, double tol, const std::string& what) {
  ASSERT_EQ(a.mean.v.size(), b.mean.v.size()) << what;
  for (std::size_t i = 0; i < a.mean.v.size(); ++i) {
    EXPECT_NEAR(a.mean.v[i], b.mean.v[i], tol * (1 + std::abs(a.mean.v[i]))) << what << " entry " << i;
    EXPECT_NEAR(a.mcse.v[i], b.mcse.v[i], tol * (1 + std::abs(a.mcse.v[i]))) << what << " entry " << i;
  }
}

}  // namespace

TEST(GpuRun, PriorMomentTheoryMatchesTheCpu) {
  FWMC_SKIP_WITHOUT_GPU();
  PriorMomentResult r[2];
  for (int k = 0; k < 2; ++k) {
    const Config c = on(kRelu, k ? "cuda" : "cpu");
    const Dataset d = load_dataset(c);
    const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
    const Eigen::MatrixXd phi = compute_phi(m, nngp_kernels(m, d.X).back(), d.P, d.Y, c.posterior.beta).phi;
    r[k] = prior_moment_theory(backend_prior_source(choose_device(c), m, d), m, d, phi, 20000, 5);
  }
  for (std::size_t l = 0; l < r[0].theory.size(); ++l) {
    expect_close(r[0].theory[l], r[1].theory[l], 1e-9, "theory layer " + std::to_string(l + 1));
    expect_close(r[0].prior_mean[l], r[1].prior_mean[l], 1e-9, "prior mean layer " + std::to_string(l + 1));
  }
}

TEST(GpuRun, OracleMatchesTheCpu) {
  FWMC_SKIP_WITHOUT_GPU();
  OracleResult o[2];
  for (int k = 0; k < 2; ++k) {
    const Config c = on(kRelu, k ? "cuda" : "cpu");
    const Dataset d = load_dataset(c);
    o[k] = run_oracle(c, make_model_spec(c.model, d.input_shape, d.n_out()), d, 50000);
  }
  for (std::size_t l = 0; l < o[0].kernels.size(); ++l)
    expect_close(o[0].kernels[l], o[1].kernels[l], 1e-9, "oracle layer " + std::to_string(l + 1));
}

TEST(GpuRun, ChainBatchingDoesNotChangeADeviceRun) {
  FWMC_SKIP_WITHOUT_GPU();
  const std::string toml = std::string(kRelu) + "[sampler]\nmethod='hmc'\nchains=16\ngroups=4\nwarmup=30\nsamples=40\n";
  RunResult r[2];
  for (int k = 0; k < 2; ++k) {
    const Config c = on(toml, "cuda", {k ? "sampler.chain_batch=4" : "sampler.chain_batch=0"});
    const Dataset d = load_dataset(c);
    r[k] = run_sampling(plan_run(c, d, 1), d, Eigen::MatrixXd::Identity(d.P, d.P));
    ASSERT_EQ(r[k].backend, "cuda");
  }
  for (std::size_t l = 0; l < r[0].kernels.size(); ++l)
    expect_close(r[0].kernels[l], r[1].kernels[l], 1e-12, "layer " + std::to_string(l + 1));
}

TEST(GpuRun, ACheckpointResumedOnTheDeviceEndsWhereAnUninterruptedRunEnds) {
  FWMC_SKIP_WITHOUT_GPU();
  const std::string dir = temp_dir("gpu_resume");
  write_text(dir + "/c.toml", std::string(kRelu) +
                                  "[sampler]\nmethod='hmc'\nchains=64\ngroups=8\nchain_batch=16\nwarmup=500\n"
                                  "samples=4000\nleapfrog_steps=8\ndevice='cuda'\nprecision='double'\n"
                                  "[output]\ncheckpoint_every=0.2\n");
  ASSERT_EQ(wait_for(spawn_fwmc({"run", dir + "/c.toml", "--out", dir + "/ref"}, dir + "/ref.log")), 0)
      << slurp(dir + "/ref.log");
  const pid_t pid = spawn_fwmc({"run", dir + "/c.toml", "--out", dir + "/o"}, dir + "/o.log");
  // Interrupt once a checkpoint exists, so the resume has something to continue.
  for (int i = 0; i < 600 && !std::filesystem::exists(dir + "/o/checkpoint.bin"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(pid, SIGINT);
  ASSERT_EQ(wait_for(pid), 130) << "the run ended before it could be interrupted: " << slurp(dir + "/o.log");
  ASSERT_EQ(wait_for(spawn_fwmc({"run", "--resume", dir + "/o"}, dir + "/o.log")), 0) << slurp(dir + "/o.log");
  const auto a = run_outputs(dir + "/o"), b = run_outputs(dir + "/ref");
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, bytes] : b) EXPECT_TRUE(a.at(name) == bytes) << name << " differs";
}
