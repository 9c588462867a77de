// Stein kernel estimators (docs/theory.md 11): exact and zero-variance at beta = 0 for deep linear nets, control
// variates with mean exactly 0 on prior and posterior draws (linear, relu, cnn), cross-fitting that keeps the
// MCSE honest, and the CLI's estimator choice. Agreement with the exact oracle is in test_posterior/test_cnn.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include "fwmc/dataset.hpp"
#include "fwmc/diagnostics.hpp"
#include "fwmc/run_plan.hpp"
#include "fwmc/run_sampling.hpp"
#include "fwmc/stein_estimator.hpp"
#include "fwmc/theory.hpp"
#include "test_helpers.hpp"

using namespace fwmc;
using namespace fwmc::test;

namespace {

Config small(const std::string& model, const std::vector<std::string>& ov) {
  return parse_config("[data]\nn_train=4\nn_test=1\ninput_dim=3\nseed=5\nnoise=0.5\n" + model +
                          "[posterior]\nbeta=2.0\n"
                          "[sampler]\nmethod='hmc'\nchains=32\ngroups=16\nwarmup=200\nsamples=250\nstep_size=0.1\n"
                          "leapfrog_steps=4\nprecision='double'\n",
                      "stein.toml", ov);
}
const std::string kFcn = "[model]\nwidths=[6,5]\nsigma=[1.2,0.9,1.1]\n";

Config small_cnn(const std::vector<std::string>& ov) {
  return parse_config(
      "[data]\nn_train=3\nn_test=1\nseed=4\nnoise=0.5\ninput_shape=[5,1]\n"
      "[model]\narch='cnn1d'\nwidths=[4,3]\nwindow=3\nsigma=[1.1,0.9,1.0]\n[posterior]\nbeta=2.0\n"
      "[sampler]\nmethod='hmc'\nchains=32\ngroups=16\nwarmup=200\nsamples=250\nstep_size=0.1\n"
      "leapfrog_steps=4\nprecision='double'\n",
      "stein_cnn.toml", ov);
}

RunResult run(const Config& c) {
  const Dataset d = load_dataset(c);
  const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
  // Phi (for the traces) from the NNGP kernels alone: no Monte Carlo theory needed here.
  const auto K0 = nngp_kernels(m, d.X);
  return run_sampling(plan_run(c, d, 1), d, compute_phi(m, K0.back(), d.P, d.Y, c.posterior.beta).phi);
}

std::vector<KernelTensor> nngp_of(const Config& c) {
  const Dataset d = load_dataset(c);
  return nngp_kernels(make_model_spec(c.model, d.input_shape, d.n_out()), d.X);
}

// Family-wise 1e-3 bound on the largest |z| over n (correlated) entries; 4 for the few entries of an fcn.
double z_bound(std::size_t n) { return std::max(4.0, inverse_normal_cdf(1 - 0.5e-3 / n)); }

void expect_zero_mean_control_variates(const RunResult& r, const std::string& what) {
  ASSERT_EQ(r.control.size(), r.kernels.size()) << what;
  for (std::size_t l = 0; l < r.control.size(); ++l) {
    const auto& e = r.control[l];
    double spread = 0;
    for (double s : e.mcse.v) spread = std::max(spread, s);
    EXPECT_GT(spread, 0) << what << ": C_" << l + 1 << " has no variance, so this test would prove nothing";
    EXPECT_LT(r.stein[l].cv_max_z, z_bound(e.mean.v.size())) << what << ": C_" << l + 1;
    EXPECT_LT(r.stein[l].agree_max_z, z_bound(e.mean.v.size())) << what << ": plain vs stein, layer " << l + 1;
  }
}

}  // namespace

TEST(Stein, DeepLinearAtBetaZeroIsTheNngpKernelWithZeroVariance) {
  for (const Config& c : {small(kFcn, {"posterior.beta=0"}), small_cnn({"posterior.beta=0"})}) {
    const RunResult r = run(c);
    const auto K0 = nngp_of(c);
    for (std::size_t l = 0; l < r.kernels.size(); ++l) {
      double plain_spread = 0;
      for (std::size_t i = 0; i < K0[l + 1].v.size(); ++i) {
        EXPECT_NEAR(r.kernels[l].mean.v[i], K0[l + 1].v[i], 1e-12 * (1 + std::abs(K0[l + 1].v[i]))) << l << " " << i;
        EXPECT_LE(r.kernels[l].mcse.v[i], 1e-12) << l << " " << i;
        plain_spread = std::max(plain_spread, r.plain_kernels[l].mcse.v[i]);
      }
      EXPECT_GT(plain_spread, 1e-3) << "the plain estimator of the same draws fluctuates";
      EXPECT_EQ(r.stein[l].kind.substr(0, 5), "exact");
    }
  }
}

TEST(Stein, ControlVariatesAverageToZeroOnPriorAndPosteriorDraws) {
  const std::vector<std::pair<std::string, Config>> cases = {
      {"fcn linear, posterior", small(kFcn, {})},
      {"fcn relu, posterior", small(kFcn, {"model.activation=relu"})},
      {"fcn relu, prior", small(kFcn, {"model.activation=relu", "posterior.beta=0"})},
      {"fcn erf, posterior", small(kFcn, {"model.activation=erf"})},
      {"cnn1d linear, posterior", small_cnn({})},
      {"cnn1d relu, posterior", small_cnn({"model.activation=relu"})},
      {"cnn1d relu, prior", small_cnn({"model.activation=relu", "posterior.beta=0"})},
  };
  for (const auto& [what, c] : cases) expect_zero_mean_control_variates(run(c), what);
}

TEST(Stein, NonlinearNetsReportTheExactPreactivationEstimateAndTheConditionalField) {
  const RunResult r = run(small(kFcn, {"model.activation=relu"}));
  ASSERT_TRUE(r.has_preact);
  EXPECT_EQ(r.preact_report.kind, "exact");
  for (const auto& s : r.stein) EXPECT_EQ(s.kind, "conditional_field");
  // Q~_1 fluctuates at O(1/n), the plain pre-activation kernel at O(1/sqrt(n)).
  EXPECT_GT(r.preact_report.mcse_ratio_median, 1.5);
  EXPECT_LT(r.preact_report.agree_max_z, z_bound(r.preact.mean.v.size()));
}

TEST(Stein, CrossFittedControlVariatesAreUnbiasedWithHonestErrors) {
  // y_g = mu + b x_g + e_g over 32 groups, E[x] = 0: the corrected mean is unbiased, its group-spread MCSE is honest
  // (z-scores with unit spread), and with a useful covariate the error shrinks as 1 - rho^2 predicts.
  std::mt19937_64 rng(11);
  std::normal_distribution<double> g;
  const int G = 32, reps = 3000;
  const std::vector<double> counts(G, 10.0);
  for (double b : {0.0, 2.0}) {
    double z2 = 0, bias = 0, var_plain = 0, var_cv = 0;
    for (int rep = 0; rep < reps; ++rep) {
      std::vector<double> y(G);
      std::vector<std::vector<double>> xs(2, std::vector<double>(G));
      for (int k = 0; k < G; ++k) {
        xs[0][k] = g(rng);
        xs[1][k] = g(rng);  // a useless second covariate
        y[k] = 1.0 + b * xs[0][k] + 0.5 * g(rng);
      }
      const auto yc = cross_fitted(y, xs, counts);
      double m = 0, mp = 0, v = 0;
      for (int k = 0; k < G; ++k) {
        m += yc[k] / G;
        mp += y[k] / G;
      }
      for (int k = 0; k < G; ++k) v += (yc[k] - m) * (yc[k] - m) / (G * (G - 1.0));
      z2 += (m - 1.0) * (m - 1.0) / v / reps;
      bias += (m - 1.0) / reps;
      var_plain += (mp - 1.0) * (mp - 1.0) / reps;
      var_cv += (m - 1.0) * (m - 1.0) / reps;
    }
    EXPECT_LT(std::abs(bias), 4 * std::sqrt(var_cv / reps)) << "b = " << b;
    // E[z^2] = 1 for an honest MCSE (a t-like excess of about 10% with 32 groups and a fitted slope).
    EXPECT_GT(z2, 0.9) << "b = " << b;
    EXPECT_LT(z2, 1.25) << "b = " << b;
    if (b > 0) {
      EXPECT_LT(var_cv, 0.1 * var_plain) << "rho^2 = 16/17: the error variance drops about 17x";
    }
  }
}

TEST(Stein, CliEstimatorChoiceWritesTheRightFiles) {
  const std::string dir = temp_dir("stein_cli");
  const std::string cfg = dir + "/c.toml";
  write_text(cfg,
             "[data]\nn_train=4\nn_test=1\ninput_dim=3\n[model]\nwidths=[8]\nactivation='relu'\n"
             "[sampler]\nchains=8\ngroups=4\nwarmup=30\nsamples=40\nleapfrog_steps=3\n");
  auto both = run_fwmc("run " + cfg + " --out " + dir + "/both --set output.estimator=both");
  ASSERT_EQ(both.code, 0) << both.output;
  for (const char* f :
       {"K1_mean.npy", "K1_mcse.npy", "K1_plain_mean.npy", "K1_plain_mcse.npy", "Q1_mean.npy", "Q1_plain_mean.npy"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/both/" + f)) << f;
  const auto j = nlohmann::json::parse(slurp(dir + "/both/summary.json"));
  EXPECT_EQ(j["estimator"], "stein");
  EXPECT_EQ(j["layers"][0]["estimator"]["kind"], "conditional_field");
  EXPECT_TRUE(j["layers"][0]["estimator"]["agreement_with_plain"].contains("max_abs_z"));
  EXPECT_NE(both.output.find("MCSE plain/stein"), std::string::npos);
  auto plain = run_fwmc("run " + cfg + " --out " + dir + "/plain --set output.estimator=plain");
  ASSERT_EQ(plain.code, 0) << plain.output;
  EXPECT_FALSE(std::filesystem::exists(dir + "/plain/K1_plain_mean.npy"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/plain/Q1_mean.npy"));
  EXPECT_EQ(nlohmann::json::parse(slurp(dir + "/plain/summary.json"))["estimator"], "plain");
  auto bad = run_fwmc("run " + cfg + " --out " + dir + "/bad --set output.estimator=stien");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("estimator"), std::string::npos) << bad.output;
  EXPECT_FALSE(std::filesystem::exists(dir + "/bad"));
  std::filesystem::remove_all(dir);
}
