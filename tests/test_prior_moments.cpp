// docs/theory.md 7's prior-moment estimator against the closed forms (where they exist) and the exact oracle.
#include <gtest/gtest.h>

#include <cmath>

#include "fwmc/dataset.hpp"
#include "fwmc/device_select.hpp"
#include "fwmc/diagnostics.hpp"
#include "fwmc/oracle.hpp"
#include "fwmc/prior_draws.hpp"
#include "fwmc/prior_moments.hpp"
#include "fwmc/theory.hpp"

using namespace fwmc;

namespace {

struct MomentProblem {
  Config c;
  Dataset d;
  ModelSpec m;
  TheoryResult closed;
};

MomentProblem make_problem(const std::vector<std::string>& overrides) {
  MomentProblem s;
  s.c = parse_config("[data]\nn_train=4\nn_test=1\ninput_dim=3\nseed=3\nnoise=0.5\n[posterior]\nbeta=2.0\n", "pm.toml",
                     overrides);
  s.d = load_dataset(s.c);
  s.m = make_model_spec(s.c.model, s.d.input_shape, s.d.n_out());
  s.closed = compute_theory(s.m, s.d, theory_options(s.c), backend_prior_source(choose_device(s.c), s.m, s.d));
  return s;
}

// max |a - b| / se over entries, and the largest |b - nngp| / se (the size of the correction in SE units).
std::pair<double, double> z_and_signal(const KernelEstimate& e, const KernelTensor& ref, const KernelTensor& ref_se,
                                       const KernelTensor& nngp) {
  double z = 0, sig = 0;
  for (std::size_t i = 0; i < ref.v.size(); ++i) {
    const double se = std::hypot(e.mcse.v[i], ref_se.v.empty() ? 0.0 : ref_se.v[i]);
    z = std::max(z, std::abs(e.mean.v[i] - ref.v[i]) / se);
    sig = std::max(sig, std::abs(ref.v[i] - nngp.v[i]) / se);
  }
  return {z, sig};
}

}  // namespace

TEST(PriorMomentEstimator, ReproducesTheDeepLinearClosedForm) {
  // Layer 1 is exact in expectation (E[K_L | K_1] is linear in K_1); layer 2 differs by O(1/n^2) terms, about
  // 1/(2n) ~ 1% of the correction at n = 60, far below the estimator's standard error (>= 1/5 of it, checked).
  MomentProblem s = make_problem({"model.widths=[60,60]", "model.sigma=[1.2,0.9,1.1]"});
  PriorMomentResult pm =
      prior_moment_theory(backend_prior_source(choose_device(s.c), s.m, s.d), s.m, s.d, s.closed.phi.phi, 60000, 5);
  for (int l = 0; l < 2; ++l) {
    auto [z, sig] = z_and_signal(pm.theory[l], s.closed.layers[l].theory, {}, s.closed.layers[l].nngp);
    EXPECT_LT(z, 4.0) << "layer " << l + 1;
    EXPECT_GT(sig, 5.0) << "layer " << l + 1 << ": correction not resolved, the check would be empty";
  }
}

TEST(PriorMomentEstimator, ReproducesTheDeepLinearCnnClosedForm) {
  // docs/theory.md 5's propagated form; layer 1 is exact in expectation, layer 2 carries O(1/c^2) ~ 1.5% of the
  // correction at c = 32, below the estimator's standard error (checked via the signal).
  MomentProblem s =
      make_problem({"model.arch=cnn1d", "data.input_shape=[4,1]", "model.widths=[32,32]", "model.sigma=[1.1,0.9,1.2]"});
  PriorMomentResult pm =
      prior_moment_theory(backend_prior_source(choose_device(s.c), s.m, s.d), s.m, s.d, s.closed.phi.phi, 60000, 9);
  for (int l = 0; l < 2; ++l) {
    auto [z, sig] = z_and_signal(pm.theory[l], s.closed.layers[l].theory, {}, s.closed.layers[l].nngp);
    // 2 x 400 correlated entries: Bonferroni bound at family-wise 1e-3 (about 4.8) rather than 4.
    EXPECT_LT(z, inverse_normal_cdf(1 - 0.5e-3 / 800)) << "layer " << l + 1;
    EXPECT_GT(sig, 5.0) << "layer " << l + 1;
  }
}

TEST(PriorMomentEstimator, ReproducesTheSingleReluLayer) {
  MomentProblem s = make_problem({"model.widths=[30]", "model.activation=relu", "theory.draws=200000"});
  PriorMomentResult pm =
      prior_moment_theory(backend_prior_source(choose_device(s.c), s.m, s.d), s.m, s.d, s.closed.phi.phi, 200000, 6);
  auto [z, sig] =
      z_and_signal(pm.theory[0], s.closed.layers[0].theory, s.closed.layers[0].theory_se, s.closed.layers[0].nngp);
  EXPECT_LT(z, 4.0);
  EXPECT_GT(sig, 5.0);
}

TEST(PriorMomentEstimator, DeepReluPriorMeanApproachesTheNngpAsOneOverWidth) {
  double dev[2];
  int k = 0;
  for (const char* w : {"model.widths=[8,8]", "model.widths=[32,32]"}) {
    MomentProblem s = make_problem({w, "model.activation=relu"});
    PriorMomentResult pm =
        prior_moment_theory(backend_prior_source(choose_device(s.c), s.m, s.d), s.m, s.d, s.closed.phi.phi, 100000, 7);
    const KernelTensor diff = pm.prior_mean[1].mean - s.closed.layers[1].nngp;
    dev[k] = diff.frobenius();
    // The deviation must be resolved, or the ratio says nothing.
    EXPECT_GT(dev[k], 4 * pm.prior_mean[1].mcse.frobenius()) << w;
    ++k;
  }
  EXPECT_NEAR(dev[0] / dev[1], 4.0, 1.2);  // O(1/n): 4x the width, a quarter of the deviation
}

TEST(PriorMomentEstimator, ApproachesTheOracleFasterThanTheCorrectionShrinks) {
  // Tiny deep relu net: the residual |prior-moment theory - exact| falls faster with width than the correction.
  double resid[2], corr[2];
  int k = 0;
  for (const char* w : {"model.widths=[8,8]", "model.widths=[32,32]"}) {
    MomentProblem s = make_problem({w, "model.activation=relu"});
    PriorMomentResult pm =
        prior_moment_theory(backend_prior_source(choose_device(s.c), s.m, s.d), s.m, s.d, s.closed.phi.phi, 100000, 8);
    OracleResult o = run_oracle(s.c, s.m, s.d, 200000);
    resid[k] = (pm.theory[0].mean - o.kernels[0].mean).frobenius();
    corr[k] = (o.kernels[0].mean - s.closed.layers[0].nngp).frobenius();
    std::printf("%s: ||exact - NNGP|| = %.4g, ||prior-moment theory - exact|| = %.4g (SE %.2g + %.2g)\n", w, corr[k],
                resid[k], pm.theory[0].mcse.frobenius(), o.kernels[0].mcse.frobenius());
    ++k;
  }
  EXPECT_GT(corr[0] / corr[1], 2.5);                  // correction ~ 1/n (x4 width)
  EXPECT_GT(resid[0] / resid[1], corr[0] / corr[1]);  // residual falls faster
  EXPECT_LT(resid[1], 0.5 * corr[1]);                 // and the theory beats the NNGP kernel
}

// Any number of draws is used in full and every group gets some: a ceil-sized split left the last of 32 groups
// empty for 400 draws (0/0 group means, every standard error NaN: found by the paper's Fig 4 config).
TEST(PriorMomentEstimator, AnyDrawCountFillsEveryGroup) {
  MomentProblem s = make_problem({"model.widths=[6,5]", "model.activation='relu'"});
  for (long draws : {100L, 131L, 400L, 1000L}) {
    PriorMomentResult pm =
        prior_moment_theory(backend_prior_source(choose_device(s.c), s.m, s.d), s.m, s.d, s.closed.phi.phi, draws, 3);
    EXPECT_EQ(pm.draws, draws);
    for (const auto& layer : pm.theory)
      for (std::size_t i = 0; i < layer.mcse.v.size(); ++i) {
        ASSERT_TRUE(std::isfinite(layer.mcse.v[i])) << draws << " draws, entry " << i;
        ASSERT_TRUE(std::isfinite(layer.mean.v[i])) << draws << " draws, entry " << i;
        EXPECT_GT(layer.mcse.v[i], 0.0);
      }
  }
}
