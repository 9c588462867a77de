// GPU tests (ctest label `gpu`): every backend operation against the CPU reference on random inputs, whole-
// trajectory parity of ULA/MALA/HMC, and a statistical check on the device. They skip when no device answers.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

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

// The same inputs on both backends; `run` applies an operation to one backend's buffers.
template <class T>
struct Twin {
  std::unique_ptr<Backend<T>> cpu = make_cpu_backend<T>(), gpu = make_cuda_backend<T>();
  std::mt19937_64 rng{11};

  std::pair<Buffer<T, T>, Buffer<T, T>> random(std::size_t n, double scale = 1.0) {
    std::normal_distribution<double> g;
    std::vector<T> v(n);
    for (auto& x : v) x = static_cast<T>(scale * g(rng));
    return both(v);
  }
  template <class E>
  std::pair<Buffer<E, T>, Buffer<E, T>> both(const std::vector<E>& v) {
    Buffer<E, T> a(*cpu, v.size()), b(*gpu, v.size());
    a.upload(v);
    b.upload(v);
    return {std::move(a), std::move(b)};
  }
};

template <class E, class T>
double max_rel_diff(const Buffer<E, T>& a, const Buffer<E, T>& b) {
  auto x = a.download(), y = b.download();
  double worst = 0, scale = 0;
  for (auto v : x) scale = std::max(scale, std::abs(static_cast<double>(v)));
  for (std::size_t i = 0; i < x.size(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(x[i]) - static_cast<double>(y[i])) / std::max(scale, 1e-30));
  return worst;
}

template <class T>
void every_operation(double tol) {
  Twin<T> t;
  const int C = 5;
  const ChainBlock blk{37, C, 3, 100};
  const std::vector<double> steps = {0.1, 0.2, 0.05, 0.3, 0.01};
  auto [sc, sg] = t.both(steps);
  auto report = [&](const char* op, double d) { EXPECT_LT(d, tol) << op; };
  {  // GEMM: every transpose combination, batched with strides and with a shared operand
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (long share : {0L, 1L}) {
          const int m = 7, n = 9, k = 11, batch = 3;
          auto [A, Ag] = t.random(static_cast<std::size_t>(m) * k * batch);
          auto [B, Bg] = t.random(static_cast<std::size_t>(k) * n * batch);
          auto [Cc, Cg] = t.random(static_cast<std::size_t>(m) * n * batch);
          const int lda = ta ? k : m, ldb = tb ? n : k;
          const long sa = share ? 0 : static_cast<long>(m) * k;
          t.cpu->gemm_strided(ta, tb, m, n, k, T(0.7), A.data(), lda, sa, B.data(), ldb, static_cast<long>(k) * n,
                              T(0.3), Cc.data(), m, static_cast<long>(m) * n, batch);
          t.gpu->gemm_strided(ta, tb, m, n, k, T(0.7), Ag.data(), lda, sa, Bg.data(), ldb, static_cast<long>(k) * n,
                              T(0.3), Cg.data(), m, static_cast<long>(m) * n, batch);
          report("gemm", max_rel_diff(Cc, Cg));
        }
  }
  for (int act = 0; act <= 4; ++act) {
    auto [z, zg] = t.random(blk.size());
    auto [h, hg] = t.random(blk.size());
    t.cpu->activation_forward(act, blk.size(), z.data(), h.data());
    t.gpu->activation_forward(act, blk.size(), zg.data(), hg.data());
    report("activation_forward", max_rel_diff(h, hg));
    t.cpu->activation_backward(act, blk.size(), z.data(), h.data());
    t.gpu->activation_backward(act, blk.size(), zg.data(), hg.data());
    report("activation_backward", max_rel_diff(h, hg));
  }
  {
    const int P = 4, N = 6, nd = 2;
    auto [f, fg] = t.random(static_cast<std::size_t>(C) * N * nd);
    auto [y, yg] = t.random(static_cast<std::size_t>(P) * nd);
    auto [dF, dFg] = t.random(f.size());
    auto [l, lg] = t.both(std::vector<double>(C, 0.0));
    t.cpu->residual(P, N, nd, C, f.data(), y.data(), T(1.5), dF.data(), l.data());
    t.gpu->residual(P, N, nd, C, fg.data(), yg.data(), T(1.5), dFg.data(), lg.data());
    report("residual dF", max_rel_diff(dF, dFg));
    report("residual loss", max_rel_diff(l, lg));
  }
  auto [th, thg] = t.random(blk.size());
  auto [g, gg] = t.random(blk.size());
  auto [out, outg] = t.random(blk.size());
  auto [acc, accg] = t.both(std::vector<double>(C, 1.0));
  t.cpu->add_prior(blk, th.data(), 0.8, g.data(), acc.data());
  t.gpu->add_prior(blk, thg.data(), 0.8, gg.data(), accg.data());
  report("add_prior grad", max_rel_diff(g, gg));
  report("add_prior energy", max_rel_diff(acc, accg));
  t.cpu->langevin_propose(blk, th.data(), g.data(), sc.data(), 9, 77, out.data());
  t.gpu->langevin_propose(blk, thg.data(), gg.data(), sg.data(), 9, 77, outg.data());
  report("langevin_propose", max_rel_diff(out, outg));
  t.cpu->mala_q(blk, out.data(), th.data(), g.data(), sc.data(), acc.data());
  t.gpu->mala_q(blk, outg.data(), thg.data(), gg.data(), sg.data(), accg.data());
  report("mala_q", max_rel_diff(acc, accg));
  t.cpu->normal_scaled(blk, 1.7, 3, 5, out.data());
  t.gpu->normal_scaled(blk, 1.7, 3, 5, outg.data());
  report("normal_scaled", max_rel_diff(out, outg));
  t.cpu->kick(blk, g.data(), sc.data(), 0.5, out.data());
  t.gpu->kick(blk, gg.data(), sg.data(), 0.5, outg.data());
  report("kick", max_rel_diff(out, outg));
  for (int halves : {1, 2}) {
    t.cpu->kick_drift(blk, g.data(), sc.data(), halves, 0.6, out.data(), th.data(), th.data());
    t.gpu->kick_drift(blk, gg.data(), sg.data(), halves, 0.6, outg.data(), thg.data(), thg.data());
    report("kick_drift momentum", max_rel_diff(out, outg));
    report("kick_drift theta", max_rel_diff(th, thg));
  }
  t.cpu->sum_squares(blk, th.data(), 0.5, acc.data());
  t.gpu->sum_squares(blk, thg.data(), 0.5, accg.data());
  report("sum_squares", max_rel_diff(acc, accg));
  auto [take, takeg] = t.both(std::vector<std::uint8_t>{1, 0, 1, 1, 0});
  t.cpu->select(blk, take.data(), out.data(), th.data());
  t.gpu->select(blk, takeg.data(), outg.data(), thg.data());
  report("select", max_rel_diff(th, thg));
  auto [dacc, daccg] = t.both(std::vector<double>(blk.size(), 0.25));
  t.cpu->accumulate(blk.size(), th.data(), 2.0, dacc.data());
  t.gpu->accumulate(blk.size(), thg.data(), 2.0, daccg.data());
  report("accumulate", max_rel_diff(dacc, daccg));
  t.cpu->chain_dot(6, 5, C, th.data(), 7, 37, out.data(), 6, 37, acc.data());
  t.gpu->chain_dot(6, 5, C, thg.data(), 7, 37, outg.data(), 6, 37, accg.data());
  report("chain_dot", max_rel_diff(acc, accg));
  {  // im2col / col2im for a 1-d window of 3 over D = 4 positions (circular)
    const int N = 3, D = 4, S = 3, cin = 2;
    std::vector<int> nb(D * S), inv(D * S);
    for (int i = 0; i < D; ++i)
      for (int s = 0; s < S; ++s) {
        nb[i * S + s] = (i + s - 1 + D) % D;
        inv[nb[i * S + s] * S + s] = i;
      }
    auto [nbc, nbg] = t.both(nb);
    auto [ivc, ivg] = t.both(inv);
    auto [h, hg] = t.random(static_cast<std::size_t>(C) * D * N * cin);
    auto [p, pg] = t.random(h.size() * S);
    t.cpu->im2col(N, D, S, cin, C, nbc.data(), h.data(), p.data());
    t.gpu->im2col(N, D, S, cin, C, nbg.data(), hg.data(), pg.data());
    report("im2col", max_rel_diff(p, pg));
    t.cpu->col2im(N, D, S, cin, C, ivc.data(), p.data(), h.data());
    t.gpu->col2im(N, D, S, cin, C, ivg.data(), pg.data(), hg.data());
    report("col2im", max_rel_diff(h, hg));
  }
  std::vector<T> bad(blk.size(), T(1));
  bad[2 * 37 + 5] = std::numeric_limits<T>::quiet_NaN();
  auto [x, xg] = t.both(bad);
  auto [fl, flg] = t.both(std::vector<std::uint8_t>(C, 0));
  t.cpu->nonfinite(blk, x.data(), fl.data());
  t.gpu->nonfinite(blk, xg.data(), flg.data());
  EXPECT_EQ(fl.download(), flg.download());
  EXPECT_EQ(flg.download()[2], 1);
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

TEST(GpuBackend, EveryOperationMatchesTheCpuInFloat) {
  FWMC_SKIP_WITHOUT_GPU();
  every_operation<float>(1e-5);
}

TEST(GpuBackend, EveryOperationMatchesTheCpuInDouble) {
  FWMC_SKIP_WITHOUT_GPU();
  every_operation<double>(1e-12);
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
  const OracleResult o = run_oracle(c, m, d, 400000);
  double worst = 0;
  for (int l = 0; l < 2; ++l)
    for (std::size_t i = 0; i < o.kernels[l].mean.v.size(); ++i)
      worst = std::max(worst, std::abs(r.kernels[l].mean.v[i] - o.kernels[l].mean.v[i]) /
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
