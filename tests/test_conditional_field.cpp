// The conditional Stein field at the level of a run (docs/theory.md 12): at beta = 0 it returns K^(0)_1 (relu and
// quadratic to rounding, erf and tanh to the residual of their tables' fields, which the long form trades for
// unbiasedness at beta > 0); on tiny one- and two-layer relu, erf and tanh nets it agrees with the exact
// importance-sampling oracle (|z| < 4 per entry and a chi-square over them) and with the plain estimate of the same
// draws; the relu quintic tables are accurate to 1e-10.
#include <gtest/gtest.h>

#include <cmath>

#include "fwmc/dataset.hpp"
#include "fwmc/oracle.hpp"
#include "fwmc/run_plan.hpp"
#include "fwmc/run_sampling.hpp"
#include "fwmc/stein_field_tables.hpp"
#include "fwmc/theory.hpp"

using namespace fwmc;

namespace {

Config net(const std::string& act, const std::string& widths, const std::vector<std::string>& ov = {}) {
  return parse_config("[data]\nn_train=4\nn_test=1\ninput_dim=3\nseed=5\nnoise=0.5\n[model]\nwidths=" + widths +
                          "\nactivation='" + act +
                          "'\n[posterior]\nbeta=2.0\n[sampler]\nmethod='hmc'\nchains=32\ngroups=16\nwarmup=800\n"
                          "samples=1200\nstep_size=0.1\nleapfrog_steps=4\nprecision='double'\n[theory]\ndraws=2000\n",
                      "field.toml", ov);
}

RunResult sample(const Config& c) {
  const Dataset d = load_dataset(c);
  const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
  const auto K0 = nngp_kernels(m, d.X);
  return run_sampling(plan_run(c, d, 1), d, compute_phi(m, K0.back(), d.P, d.Y, c.posterior.beta).phi);
}

// Against the oracle: max |z| per entry and chi2 / dof over the independent entries of every layer; also against the
// plain estimate of the same draws. The posterior must differ measurably from the prior.
void expect_agrees_with_oracle(const Config& c) {
  const Dataset d = load_dataset(c);
  const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
  const RunResult r = sample(c);
  const OracleResult o = run_oracle(c, m, d, 300000);
  const auto K0 = nngp_kernels(m, d.X);
  double worst = 0, chi2 = 0, signal = 0;
  long dof = 0;
  for (int l = 0; l < m.depth(); ++l) {
    EXPECT_EQ(r.stein[l].kind, "conditional_field");
    EXPECT_LT(r.stein[l].agree_max_z, 4.0) << "layer " << l + 1 << ": conditional field vs plain, same draws";
    for (int a = 0; a < d.N(); ++a)
      for (int b = a; b < d.N(); ++b) {
        const std::size_t i = static_cast<std::size_t>(a) * d.N() + b;
        const double se = std::hypot(r.kernels[l].mcse.v[i], o.kernels[l].mcse.v[i]);
        const double z = (r.kernels[l].mean.v[i] - o.kernels[l].mean.v[i]) / se;
        worst = std::max(worst, std::abs(z));
        chi2 += z * z;
        ++dof;
        signal = std::max(signal, std::abs(o.kernels[l].mean.v[i] - K0[l + 1].v[i]) / se);
      }
  }
  EXPECT_LT(worst, 4.0) << c.model.activation;
  EXPECT_LT(chi2, dof + 4 * std::sqrt(2.0 * dof)) << c.model.activation << " chi2 " << chi2 << " / " << dof;
  EXPECT_GT(signal, 6.0) << "the test problem has no measurable finite-width effect";
}

}  // namespace

TEST(ConditionalField, AtBetaZeroLayerOneIsTheNngpKernel) {
  for (const char* act : {"relu", "quadratic", "erf", "tanh"}) {
    const Config c = net(act, "[8]", {"posterior.beta=0.0", "sampler.samples=100", "sampler.warmup=50"});
    const RunResult r = sample(c);
    const Dataset d = load_dataset(c);
    const auto K0 = nngp_kernels(make_model_spec(c.model, d.input_shape, d.n_out()), d.X);
    double dev = 0, scale = 0, mcse = 0;
    for (std::size_t i = 0; i < K0[1].v.size(); ++i) {
      dev = std::max(dev, std::abs(r.kernels[0].mean.v[i] - K0[1].v[i]));
      scale = std::max(scale, std::abs(K0[1].v[i]));
      mcse = std::max(mcse, r.kernels[0].mcse.v[i]);
    }
    if (std::string(act) == "relu" || std::string(act) == "quadratic") {
      EXPECT_LT(dev, 1e-13 * scale) << act << ": exact, with zero variance";
      EXPECT_EQ(mcse, 0.0) << act;
    } else {
      // The long form's residual: the tables' Stein residual averaged over units and draws (docs/theory.md 12).
      EXPECT_LT(dev, 1e-4 * scale) << act;
      EXPECT_LT(dev, 5 * mcse + 1e-12) << act;
      EXPECT_GT(r.stein[0].mcse_ratio_median, 100.0) << act;
    }
  }
}

TEST(ConditionalField, OneLayerReluErfTanhAgreeWithTheOracle) {
  for (const char* act : {"relu", "erf", "tanh"}) expect_agrees_with_oracle(net(act, "[5]"));
}

TEST(ConditionalField, TwoLayerErfAndTanhAgreeWithTheOracle) {
  for (const char* act : {"erf", "tanh"}) expect_agrees_with_oracle(net(act, "[5,5]"));
}

TEST(ConditionalField, ReluQuinticTablesAreAccurate) {
  ModelSpec m;
  m.activation = Activation::relu;
  m.widths = {4};
  m.sigma = {1, 1};
  KernelTensor K(3, 1);
  const double rho[3][3] = {{1, 0.3, -0.7}, {0.3, 1, 0.55}, {-0.7, 0.55, 1}};
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) K.at(a, b) = rho[a][b];
  const SteinFieldData d = stein_field_data(m, {K, K});
  ASSERT_EQ(d.layers.size(), 1u);
  double worst = 0;
  for (const auto& p : d.layers[0].pairs) {
    ASSERT_EQ(p.exact, 0);
    for (double x = -9.97; x < 10; x += 0.0731)
      worst = std::max(worst,
                       std::abs(shared::hermite5_value(d.layers[0].nodes.data() + p.w1, d.xg, x) - relu_w1(x, p.rho)) /
                           std::max(1.0, std::abs(x)));
  }
  EXPECT_LT(worst, 1e-10);  // docs/theory.md 12 states 1e-10
}
