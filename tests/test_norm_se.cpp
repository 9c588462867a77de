// Standard errors of kernel norms (docs/theory.md 9): they come from the chain groups' spread of the projection
// u . K, not from the entries' MCSEs, because the entries are correlated. Checked on synthetic groups with a shift
// shared by every entry, and on the scatter of real runs and of the prior-moment theory over seeds.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "fwmc/compare.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/device_select.hpp"
#include "fwmc/prior_draws.hpp"
#include "fwmc/run_plan.hpp"
#include "fwmc/run_sampling.hpp"
#include "fwmc/theory.hpp"

using namespace fwmc;

namespace {

// Two-sided family-wise 1e-3 band for a chi-square with k dof (Wilson-Hilferty).
std::pair<double, double> chi2_band(int k) {
  auto q = [k](double z) { return k * std::pow(1 - 2.0 / (9 * k) + z * std::sqrt(2.0 / (9 * k)), 3); };
  return {q(-3.29), q(3.29)};
}

// The independent-entries delta method the norms used before: sqrt(sum (d_i / ||d|| se_i)^2).
double entrywise_se(const std::vector<double>& d, const std::vector<double>& se) {
  double n2 = 0, v = 0;
  for (double x : d) n2 += x * x;
  for (std::size_t i = 0; i < d.size(); ++i) v += d[i] * d[i] / n2 * se[i] * se[i];
  return std::sqrt(v);
}

// sum_r (x_r - xbar)^2 / se_r^2 about the inverse-variance weighted mean: chi-square with R - 1 dof when the SEs
// are honest.
double scatter_chi2(const std::vector<double>& x, const std::vector<double>& se) {
  double sw = 0, swx = 0, c = 0;
  for (std::size_t r = 0; r < x.size(); ++r) {
    sw += 1 / (se[r] * se[r]);
    swx += x[r] / (se[r] * se[r]);
  }
  for (std::size_t r = 0; r < x.size(); ++r) c += std::pow((x[r] - swx / sw) / se[r], 2);
  return c;
}

}  // namespace

TEST(NormSe, AShiftSharedByEveryEntryIsInTheNormsError) {
  // m_g,i = a_i + e_g + eta_g,i over 16 groups: a shift e_g common to all 400 entries moves the norm by
  // e_g sum_i u_i, which the entries' own MCSEs, taken as independent, miss.
  std::mt19937_64 rng(3);
  std::normal_distribution<double> nd;
  const int G = 16, n = 400, reps = 1500;
  std::vector<double> a(n);
  for (auto& x : a) x = 1.0 + 0.3 * nd(rng);
  double truth = 0;
  for (double x : a) truth += x * x;
  truth = std::sqrt(truth);
  std::vector<double> norms, ses, ses_old;
  for (int rep = 0; rep < reps; ++rep) {
    std::vector<double> sums(static_cast<std::size_t>(G) * n);
    for (int g = 0; g < G; ++g) {
      const double e = 0.05 * nd(rng);
      for (int i = 0; i < n; ++i) sums[g * n + i] = 10 * (a[i] + e + 0.05 * nd(rng));  // 10 terms per group
    }
    const std::vector<double> counts(G, 10.0);
    KernelEstimate est = estimate_from_groups(sums, G, 20, 1, counts);
    est.groups = group_means(sums, G, 20, 1, counts);
    double norm, se;
    frob_with_se(est.mean.v, {&est.groups}, norm, se);
    norms.push_back(norm);
    ses.push_back(se);
    ses_old.push_back(entrywise_se(est.mean.v, est.mcse.v));
  }
  double z2 = 0, z2_old = 0;
  for (int r = 0; r < reps; ++r) {
    z2 += std::pow((norms[r] - truth) / ses[r], 2) / reps;
    z2_old += std::pow((norms[r] - truth) / ses_old[r], 2) / reps;
  }
  // E[z^2] = (G - 1)/(G - 3) ~ 1.15 for a t with 15 dof; 1500 reps give about +-0.1.
  EXPECT_GT(z2, 0.9);
  EXPECT_LT(z2, 1.4);
  EXPECT_GT(z2_old, 50.0) << "the entrywise delta method must be far off here, or this check has no power";
  // Fewer than two groups: no SE, and it says so.
  KernelEstimate one = estimate_from_groups(std::vector<double>(n, 1.0), 1, 20, 1, {1.0});
  one.groups = group_means(std::vector<double>(n, 1.0), 1, 20, 1, {1.0});
  double norm, se;
  frob_with_se(one.mean.v, {&one.groups}, norm, se);
  EXPECT_TRUE(std::isnan(se));
}

TEST(NormSe, RunNormsScatterOverSeedsAsTheirErrorsSay) {
  // 24 independent runs of a small deep linear net: ||dK_exp||, ||exp - th|| and rel_err must scatter as their
  // stated SEs say (chi-square with 23 dof inside its family-wise 1e-3 band).
  const int R = 24;
  std::vector<std::vector<double>> x(6), se(6), se_old(2);
  for (int r = 0; r < R; ++r) {
    const Config c = parse_config(
        "[data]\nn_train=5\nn_test=1\ninput_dim=3\nseed=5\nnoise=0.5\n[model]\nwidths=[6,5]\nsigma=[1.2,0.9,1.1]\n"
        "[posterior]\nbeta=2.0\n[sampler]\nmethod='hmc'\nchains=32\ngroups=16\nwarmup=150\nsamples=150\n"
        "step_size=0.1\nleapfrog_steps=4\nprecision='double'\n",
        "norm_se.toml", {"sampler.seed=" + std::to_string(100 + r), "output.estimator=plain"});
    const Dataset d = load_dataset(c);
    const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
    const TheoryResult th = compute_theory(m, d, theory_options(c), backend_prior_source(choose_device(c), m, d));
    const RunResult run = run_sampling(plan_run(c, d, 1), d, th.phi.phi);
    for (int l = 0; l < 2; ++l) {
      const LayerComparison cmp = compare_layer(th.layers[l], run.kernels[l]);
      x[3 * l].push_back(cmp.frob_dK_exp);
      se[3 * l].push_back(cmp.frob_dK_exp_se);
      x[3 * l + 1].push_back(cmp.frob_exp_minus_th);
      se[3 * l + 1].push_back(cmp.frob_exp_minus_th_se);
      x[3 * l + 2].push_back(cmp.rel_err);
      se[3 * l + 2].push_back(cmp.rel_err_se);
      std::vector<double> d0(run.kernels[l].mean.v.size());
      for (std::size_t i = 0; i < d0.size(); ++i) d0[i] = run.kernels[l].mean.v[i] - th.layers[l].nngp.v[i];
      se_old[l].push_back(entrywise_se(d0, run.kernels[l].mcse.v));
    }
  }
  const auto [lo, hi] = chi2_band(R - 1);
  for (int k = 0; k < 6; ++k) {
    const double c2 = scatter_chi2(x[k], se[k]);
    EXPECT_GT(c2, lo) << "quantity " << k << " (layer " << k / 3 + 1 << "): errors overstated";
    EXPECT_LT(c2, hi) << "quantity " << k << " (layer " << k / 3 + 1 << "): errors understated";
  }
  for (int l = 0; l < 2; ++l)
    EXPECT_GT(scatter_chi2(x[3 * l], se_old[l]), hi) << "layer " << l + 1 << ": the old SE would pass; no power";
}

TEST(NormSe, MonteCarloTheoryNormsScatterOverSeedsAsTheirErrorsSay) {
  // Both Monte Carlo theories (the prior moments of a deep relu net, the single-layer field of docs/theory.md 6):
  // ||K_th - K0|| of the last layer over 24 theory seeds against its stated SE.
  const int R = 24;
  for (const std::string model :
       {"widths=[20,20]\n[theory]\nmethod='prior_moments'\ndraws=4000\n", "widths=[20]\n[theory]\ndraws=4000\n"}) {
    std::vector<double> x(R), se(R), se_old(R);
    std::string method;
    for (int r = 0; r < R; ++r) {
      const Config c = parse_config(
          "[data]\nn_train=5\nn_test=1\ninput_dim=3\nseed=3\nnoise=0.5\n[posterior]\nbeta=2.0\n"
          "[model]\nactivation='relu'\n" +
              model,
          "norm_se_th.toml", {"theory.seed=" + std::to_string(10 + r)});
      const Dataset d = load_dataset(c);
      const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
      const TheoryResult th = compute_theory(m, d, theory_options(c), backend_prior_source(choose_device(c), m, d));
      const LayerTheory& t = th.layers.back();
      const LayerComparison cmp = compare_layer(t, KernelEstimate{t.nngp, t.nngp, {}});
      x[r] = cmp.frob_dK_th;
      se[r] = cmp.frob_dK_th_se;
      se_old[r] = entrywise_se((t.theory - t.nngp).v, t.theory_se.v);
      method = th.method;
    }
    const auto [lo, hi] = chi2_band(R - 1);
    const double c2 = scatter_chi2(x, se);
    EXPECT_GT(c2, lo) << method;
    EXPECT_LT(c2, hi) << method;
    EXPECT_GT(scatter_chi2(x, se_old), hi) << method << ": the old SE would pass; no power";
  }
}
