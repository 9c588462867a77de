// GPU tests (ctest label `gpu`): the backend-ops harness against the CPU reference, whole-trajectory parity of
// ULA/MALA/HMC, whole runs (kernel selections, Stein statistics, chain batching, prior-moment theory, oracle,
// checkpoint and resume) against the CPU or themselves, and a statistical check on the device. They skip when no
// device answers.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "backend_ops.hpp"
#include "fwmc/backend.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/device_select.hpp"
#include "fwmc/devices.hpp"
#include "fwmc/fcn_model.hpp"
#include "fwmc/oracle.hpp"
#include "fwmc/prior_draws.hpp"
#include "fwmc/run_plan.hpp"
#include "fwmc/run_sampling.hpp"
#include "fwmc/sampler.hpp"
#include "fwmc/theory.hpp"

using namespace fwmc;

#define FWMC_SKIP_WITHOUT_GPU() \
  if (cuda_devices().empty()) GTEST_SKIP() << "no CUDA device answers"

namespace {

// max that keeps a NaN (std::max(w, NaN) is w, which would let a kernel writing NaN pass).
double nan_max(double worst, double d) { return std::isnan(worst) || d <= worst ? worst : d; }

template <class E, class T>
double max_rel_diff(const Buffer<E, T>& a, const Buffer<E, T>& b) {
  auto x = a.download(), y = b.download();
  double worst = 0, scale = 0;
  for (auto v : x) scale = std::max(scale, std::abs(static_cast<double>(v)));
  for (std::size_t i = 0; i < x.size(); ++i)
    worst = nan_max(worst, std::abs(static_cast<double>(x[i]) - static_cast<double>(y[i])) / std::max(scale, 1e-30));
  return worst;
}

// N steps from the same prior draw on both backends; final states must agree to rounding.
template <class T>
void trajectory_parity(const std::string& method, int steps, double tol,
                       const std::string& toml =
                           "[data]\nn_train=5\nn_test=2\ninput_dim=4\n[model]\nwidths=[16,12]\n"
                           "activation='tanh'\n") {
  Config c = parse_config(toml, "parity.toml");
  const Dataset d = load_dataset(c);
  const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
  auto cpu = make_cpu_backend<T>();
  auto gpu = make_cuda_backend<T>();
  auto pc = make_feature_model<T>(*cpu, m, d, 2.0, 8, 0), pg = make_feature_model<T>(*gpu, m, d, 2.0, 8, 0);
  FeatureModel<T>& mc = *pc;
  FeatureModel<T>& mg = *pg;
  SamplerSettings s;
  s.method = method;
  s.step_size = 0.01;
  s.adapt = false;
  s.leapfrog_steps = 5;
  Sampler<T> a(mc, s), b(mg, s);
  a.init_from_prior();
  b.init_from_prior();
  for (int it = 0; it < steps; ++it) {
    const auto ia = a.step(it);
    const auto ib = b.step(it);
    EXPECT_EQ(ia.accepted, ib.accepted) << "step " << it;
  }
  EXPECT_LT(max_rel_diff(a.state().theta, b.state().theta), tol);
  for (std::size_t i = 0; i < a.state().U.size(); ++i)
    EXPECT_NEAR(a.state().U[i], b.state().U[i], tol * std::abs(a.state().U[i]) * 10);
}

}  // namespace

TEST(GpuBackend, EveryHarnessCaseMatchesTheCpuInFloat) {
  FWMC_SKIP_WITHOUT_GPU();
  test::run_backend_op_cases(*make_cuda_backend<float>(), 1e-5);
}

TEST(GpuBackend, EveryHarnessCaseMatchesTheCpuInDouble) {
  FWMC_SKIP_WITHOUT_GPU();
  test::run_backend_op_cases(*make_cuda_backend<double>(), 1e-12);
}

TEST(GpuTrajectory, UlaMalaHmcMatchTheCpu) {
  FWMC_SKIP_WITHOUT_GPU();
  for (const char* m : {"ula", "mala", "hmc"}) {
    trajectory_parity<double>(m, 30, 1e-10);
    trajectory_parity<float>(m, 10, 1e-4);
  }
}

TEST(GpuTrajectory, CnnMatchesTheCpu) {
  FWMC_SKIP_WITHOUT_GPU();
  const std::string cnn =
      "[data]\nn_train=4\nn_test=1\ninput_shape=[4,4,2]\n[model]\narch='cnn2d'\nwidths=[5,3]\n"
      "activation='erf'\n";
  for (const char* m : {"mala", "hmc"}) trajectory_parity<double>(m, 20, 1e-10, cnn);
}

TEST(GpuPosterior, HmcOnTheDeviceAgreesWithTheOracle) {
  FWMC_SKIP_WITHOUT_GPU();
  Config c = parse_config(
      "[data]\nn_train=4\nn_test=1\ninput_dim=3\nseed=5\nnoise=0.5\n[model]\nwidths=[5,5]\n[posterior]\nbeta=2.0\n"
      "[sampler]\nmethod='hmc'\nchains=256\nwarmup=1500\nsamples=1500\nstep_size=0.1\nleapfrog_steps=4\n"
      "precision='double'\ndevice='cuda'\n",
      "gpu.toml");
  const Dataset d = load_dataset(c);
  const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
  const TheoryResult th = compute_theory(m, d, theory_options(c), backend_prior_source(choose_device(c), m, d));
  const RunResult r = run_sampling(plan_run(c, d, 1), d, th.phi.phi);
  EXPECT_EQ(r.backend, "cuda");
  Config on_cpu = c;  // an independent reference: the oracle on the CPU backend, not on the device under test
  on_cpu.sampler.device = DeviceKind::cpu;
  const OracleResult o = run_oracle(on_cpu, m, d, 400000);
  double worst = 0;
  for (int l = 0; l < 2; ++l)
    for (std::size_t i = 0; i < o.kernels[l].mean.v.size(); ++i)
      worst = nan_max(worst, std::abs(r.kernels[l].mean.v[i] - o.kernels[l].mean.v[i]) /
                                 std::hypot(r.kernels[l].mcse.v[i], o.kernels[l].mcse.v[i]));
  EXPECT_LT(worst, 4.0);
}

TEST(GpuRun, SteinEstimatesMatchTheCpu) {
  FWMC_SKIP_WITHOUT_GPU();
  // Whole runs on both backends (double, same seed): the Stein statistics (error signals, input kernels, group
  // GEMMs, gathers, the readout's) and everything estimated from them agree to rounding.
  const std::vector<std::string> cases = {
      "[data]\nn_train=5\nn_test=2\ninput_dim=4\n[model]\nwidths=[6,5]\n[output]\nkernel_inputs=[0,3,6]\n",
      "[data]\nn_train=5\nn_test=1\ninput_dim=4\n[model]\nwidths=[6,5]\nactivation='relu'\n",
      "[data]\nn_train=4\nn_test=1\ninput_shape=[4,4,2]\n[model]\narch='cnn2d'\nwidths=[5,3]\nactivation='erf'\n"
      "[output]\nkernel_positions='diagonal'\n"};
  for (const auto& text : cases) {
    RunResult r[2];
    for (int k = 0; k < 2; ++k) {
      const Config c = parse_config(text +
                                        "[sampler]\nmethod='hmc'\nchains=16\ngroups=8\nwarmup=20\nsamples=30\n"
                                        "leapfrog_steps=3\nprecision='double'\n",
                                    "gpu_stein.toml", {k ? "sampler.device=\"cuda\"" : "sampler.device=\"cpu\""});
      const Dataset d = load_dataset(c);
      const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
      r[k] = run_sampling(plan_run(c, d, 1), d, Eigen::MatrixXd::Identity(d.P, d.P));
    }
    ASSERT_EQ(r[1].backend, "cuda");
    for (std::size_t l = 0; l < r[0].kernels.size(); ++l)
      for (const auto& [a, b] :
           {std::pair{&r[0].kernels[l], &r[1].kernels[l]}, std::pair{&r[0].plain_kernels[l], &r[1].plain_kernels[l]},
            std::pair{&r[0].control[l], &r[1].control[l]}})
        for (std::size_t i = 0; i < a->mean.v.size(); ++i) {
          EXPECT_NEAR(a->mean.v[i], b->mean.v[i], 1e-8 * (1 + std::abs(a->mean.v[i]))) << text << " layer " << l + 1;
          EXPECT_NEAR(a->mcse.v[i], b->mcse.v[i], 1e-8 * (1 + std::abs(a->mcse.v[i]))) << text << " layer " << l + 1;
        }
  }
}
