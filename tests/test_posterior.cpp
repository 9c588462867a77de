// Whole-run checks of the network sampler: beta = 0 reproduces the exact prior, MALA and HMC agree with the
// exact importance-sampling oracle, and results do not depend on threads or chain batching.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>

#include "fwmc/backend.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/device_select.hpp"
#include "fwmc/fcn_model.hpp"
#include "fwmc/oracle.hpp"
#include "fwmc/prior_draws.hpp"
#include "fwmc/run_plan.hpp"
#include "fwmc/run_sampling.hpp"
#include "fwmc/sampler.hpp"
#include "fwmc/theory.hpp"

using namespace fwmc;

namespace {

Config tiny(const std::vector<std::string>& overrides) {
  return parse_config(
      "[data]\nn_train=4\nn_test=1\ninput_dim=3\nseed=5\nnoise=0.5\n"
      "[model]\nwidths=[5,5]\n[posterior]\nbeta=2.0\n"
      "[sampler]\nchains=64\nwarmup=1500\nsamples=2500\nstep_size=0.1\nleapfrog_steps=4\nprecision='double'\n",
      "tiny.toml", overrides);
}

// max |z| of run vs oracle over every kernel entry of every layer, for the reported (Stein) estimate and for the
// plain estimate of the same draws.
double max_z_vs_oracle(const Config& c, long oracle_draws) {
  const Dataset d = load_dataset(c);
  const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
  const TheoryResult th = compute_theory(m, d, theory_options(c), backend_prior_source(choose_device(c), m, d));
  const RunResult r = run_sampling(plan_run(c, d, 1), d, th.phi.phi);
  const OracleResult o = run_oracle(c, m, d, oracle_draws);
  EXPECT_GT(o.ess, 0.5 * oracle_draws);
  EXPECT_LT(r.diag.rhat_max, 1.01);
  EXPECT_EQ(r.estimator, "stein");
  double worst = 0, signal = 0;
  for (const auto* est : {&r.kernels, &r.plain_kernels})
    for (int l = 0; l < m.depth(); ++l)
      for (std::size_t i = 0; i < o.kernels[l].mean.v.size(); ++i) {
        const double se = std::hypot((*est)[l].mcse.v[i], o.kernels[l].mcse.v[i]);
        worst = std::max(worst, std::abs((*est)[l].mean.v[i] - o.kernels[l].mean.v[i]) / se);
        // The posterior must differ from the prior detectably, or agreement would prove little.
        signal = std::max(signal, std::abs(o.kernels[l].mean.v[i] - th.layers[l].nngp.v[i]) / se);
      }
  for (const auto& s : r.stein) EXPECT_LT(s.agree_max_z, 4.0) << "plain vs stein on the same draws";
  EXPECT_GT(signal, 8.0) << "test problem has no measurable finite-width effect";
  return worst;
}

}  // namespace

TEST(Posterior, HmcAgreesWithTheOracleOnATinyDeepLinearNet) {
  EXPECT_LT(max_z_vs_oracle(tiny({"sampler.method=hmc"}), 200000), 4.0);
}

TEST(Posterior, MalaAgreesWithTheOracleOnATinyDeepLinearNet) {
  EXPECT_LT(max_z_vs_oracle(tiny({"sampler.method=mala", "sampler.warmup=5000", "sampler.samples=3000"}), 200000), 4.0);
}

TEST(Posterior, HmcAgreesWithTheOracleOnATinyReluNet) {
  EXPECT_LT(max_z_vs_oracle(tiny({"sampler.method=hmc", "model.activation=relu"}), 200000), 4.0);
}

TEST(Posterior, MalaAgreesWithTheOracleOnATinyReluNet) {
  EXPECT_LT(max_z_vs_oracle(
                tiny({"sampler.method=mala", "sampler.warmup=5000", "sampler.samples=3000", "model.activation=relu"}),
                200000),
            4.0);
}

TEST(Posterior, BetaZeroReproducesTheExactFirstLayerPrior) {
  // Posterior = prior: E[K_1] = K0_1 and, for a linear first layer, Var[K_1(a,b)] = sigma^4 (G_aa G_bb + G_ab^2) / n_1.
  Config c = tiny({"sampler.method=hmc"});
  c.posterior.beta = 0;
  c.model.widths = {6};
  c.model.sigma = {1.3, 1.0};
  const Dataset d = load_dataset(c);
  const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
  auto be = make_cpu_backend<double>();
  const int C = 64, n1 = 6, N = d.N(), warm = 300, iters = 1500;
  FcnModel<double> model(*be, m, d, 0.0, C, 0);
  SamplerSettings s;
  s.method = "hmc";
  s.step_size = 0.3;
  s.leapfrog_steps = 4;
  Sampler<double> smp(model, s);
  smp.init_from_prior();
  // Per-chain means of K(a,b) and K(a,b)^2 for the pairs (0,0), (0,1), (1,2).
  const int pairs[3][2] = {{0, 0}, {0, 1}, {1, 2}};
  std::vector<std::array<double, 6>> mom(C, std::array<double, 6>{});
  for (int it = 0; it < warm + iters; ++it) {
    smp.step(it);
    if (it < warm) {
      smp.adapt_step_sizes();
      if (it == warm - 1) smp.freeze_step_sizes();
      continue;
    }
    model.forward(smp.state().theta.data());
    std::vector<double> H(static_cast<std::size_t>(C) * N * n1);
    be->to_host(H.data(), model.hidden(1), H.size() * sizeof(double));
    for (int ch = 0; ch < C; ++ch)
      for (int k = 0; k < 3; ++k) {
        double kab = 0;
        for (int u = 0; u < n1; ++u) kab += H[ch * N * n1 + pairs[k][0] + u * N] * H[ch * N * n1 + pairs[k][1] + u * N];
        kab /= n1;
        mom[ch][k] += kab / iters;
        mom[ch][3 + k] += kab * kab / iters;
      }
  }
  const Eigen::MatrixXd G = 1.69 * d.X * d.X.transpose() / d.dim();
  for (int k = 0; k < 3; ++k) {
    const int a = pairs[k][0], b = pairs[k][1];
    const double mean = G(a, b), second = (G(a, a) * G(b, b) + G(a, b) * G(a, b)) / n1 + mean * mean;
    for (int q = 0; q < 2; ++q) {
      double mu = 0, v = 0;
      for (int ch = 0; ch < C; ++ch) mu += mom[ch][q * 3 + k] / C;
      for (int ch = 0; ch < C; ++ch) v += std::pow(mom[ch][q * 3 + k] - mu, 2) / (C - 1);
      EXPECT_LT(std::abs(mu - (q == 0 ? mean : second)) / std::sqrt(v / C), 4.0) << "pair " << k << " moment " << q;
    }
  }
}

TEST(Posterior, BitwiseIndependentOfThreadsAndChainBatching) {
  // erf with MALA (through the layers), and a linear net with HMC (through the weight product, whose first and
  // last products are single GEMMs over all chains).
  for (const char* act : {"erf", "linear"}) {
    // 40 x 20 inputs and 5 outputs: the weight product's GEMMs over all chains (16 x 5 columns) go to the BLAS.
    Config c = tiny({std::string("sampler.method=") + (act[0] == 'e' ? "mala" : "hmc"), "sampler.warmup=50",
                     "sampler.samples=60", "sampler.precision=float", "sampler.chains=16", "sampler.groups=8",
                     "data.output_dim=5", "data.n_train=40", "data.input_dim=20",
                     std::string("model.evaluation=") + (act[0] == 'e' ? "layers" : "product")});
    c.model.activation = act[0] == 'e' ? Activation::erf : Activation::linear;
    const Dataset d = load_dataset(c);
    const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
    const Eigen::MatrixXd phi =
        compute_theory(m, d, theory_options(c), backend_prior_source(choose_device(c), m, d)).phi.phi;
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const RunResult one = run_sampling(plan_run(c, d, 1), d, phi);
    omp_set_num_threads(2);
    const RunResult two = run_sampling(plan_run(c, d, 1), d, phi);
    c.sampler.chain_batch = 4;
    const RunResult batched = run_sampling(plan_run(c, d, 1), d, phi);
    omp_set_num_threads(threads);
    for (const RunResult* r : {&two, &batched}) {
      for (int l = 0; l < 2; ++l) EXPECT_EQ(r->kernels[l].mean.v, one.kernels[l].mean.v);
      EXPECT_EQ(r->traces.values, one.traces.values);
      EXPECT_EQ(r->step_sizes, one.step_sizes);
    }
  }
}
