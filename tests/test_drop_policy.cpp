// The drop policy for bad chains: a chain whose state turns non-finite, or that diverges more often than
// sampler.divergence_budget after warm-up, is dropped at that step; it adds nothing to the kernel sums from then
// on, the rest of the run is unaffected, and summary.json counts it.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "fwmc/backend.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/fcn_model.hpp"
#include "fwmc/kernel_accumulator.hpp"
#include "test_helpers.hpp"

using namespace fwmc;
using namespace fwmc::test;

TEST(DropPolicy, ADroppedChainAddsNothingAndLeavesTheOtherChainsExact) {
  auto be = make_cpu_backend<double>();
  ModelSpec m;
  m.widths = {5, 4};
  m.sigma.assign(3, 1.0);
  m.in_channels = 3;
  m.n_out = 1;
  Dataset d;
  d.P = 4;
  d.P_test = 1;
  d.input_shape = {3};
  std::mt19937_64 rng(3);
  std::normal_distribution<double> g;
  d.X = Eigen::MatrixXd::NullaryExpr(5, 3, [&] { return g(rng); });
  d.Y = Eigen::MatrixXd::NullaryExpr(4, 1, [&] { return g(rng); });
  const Eigen::MatrixXd phi = Eigen::MatrixXd::Identity(4, 4);
  // A: chains 0..3 in groups {0,1}, {2,3}, chain 1 dropped. B: chains 0 and 2 alone, one per group.
  FcnModel<double> ma(*be, m, d, 1.0, 4, 0), mb(*be, m, d, 1.0, 2, 0);
  std::vector<double> ta(ma.state_size()), tb(mb.state_size());
  for (double& t : ta) t = g(rng);
  for (std::size_t k = 0; k < ma.blocks().size(); ++k) {
    const auto &ba = ma.blocks()[k], &bb = mb.blocks()[k];
    const long per = ba.layout.per_chain;
    for (int j = 0; j < 2; ++j)
      std::copy_n(ta.begin() + ba.offset + 2 * j * per, per, tb.begin() + bb.offset + j * per);
  }
  Buffer<double, double> tha(*be, ta.size()), thb(*be, tb.size());
  tha.upload(ta);
  thb.upload(tb);
  // With the Stein statistics, so that the dropped chain's error signals are seen to be left out too.
  KernelAccumulator<double> acc_a(ma, 2, phi, {}, true), acc_b(mb, 2, phi, {}, true);
  const std::vector<std::uint8_t> alive = {1, 0, 1, 1};
  for (int draw = 0; draw < 3; ++draw) {
    acc_a.observe(tha.data(), std::vector<double>(4, 1.0), &alive);
    acc_b.observe(thb.data(), std::vector<double>(2, 1.0));
  }
  EXPECT_EQ(acc_a.group_counts(), (std::vector<double>{3, 6}));
  ASSERT_EQ(acc_a.statistics().count(), 6);  // K and R of two linear layers, the readout's R and Q
  for (int k = 0; k < acc_a.statistics().count(); ++k) {
    const auto sa = acc_a.group_sums(k), sb = acc_b.group_sums(k);
    const std::size_t per = sa.size() / 2;
    for (std::size_t i = 0; i < per; ++i) EXPECT_NEAR(sa[i], sb[i], 1e-12 * (1 + std::abs(sb[i]))) << k << " " << i;
  }
  for (const auto& v : acc_a.traces().values) {
    EXPECT_TRUE(std::isnan(v[1]));  // draw 0, chain 1
    EXPECT_FALSE(std::isnan(v[0]));
  }
  // Group 0 holds one chain's draws, group 1 two chains': the mean is their pooled average.
  const auto e = acc_a.estimates();
  const auto sa = acc_a.group_sums(0);
  const std::size_t per = sa.size() / 2;
  const double want = (sa[0] + sa[per]) / 9;
  EXPECT_NEAR(kernel_order(sa, 2, 5, 1)[0], sa[0], 0);
  EXPECT_NEAR(e[0].mean.v[0], want, 1e-12);
}

namespace {

nlohmann::json summary_of(const std::string& args, int* code) {
  auto dir = temp_dir("drop");
  auto r = run_fwmc("run " + args + " --out " + dir + "/o");
  *code = r.code;
  if (r.code != 0) return {{"output", r.output}};
  return nlohmann::json::parse(std::ifstream(dir + "/o/summary.json"));
}

}  // namespace

TEST(DropPolicy, NonFiniteUlaChainsAreDroppedAndCounted) {
  // ULA on quadratic units at a step where some chains blow up (the quartic potential outruns the step).
  int code = 0;
  const std::string base =
      "--set sampler.method='ula' --set 'model.activation=\"quadratic\"' --set 'model.widths=[8,8]' "
      "--set sampler.chains=16 --set sampler.groups=8 --set sampler.warmup=0 --set sampler.samples=400";
  auto j = summary_of(base + " --set sampler.step_size=0.004", &code);
  ASSERT_EQ(code, 0) << j.dump();
  const auto& dg = j["diagnostics"];
  const long dropped = dg["dropped_chains_nonfinite"];
  EXPECT_GT(dropped, 0);
  EXPECT_LT(dropped, 16);
  EXPECT_EQ(dg["dropped_chains_divergent"], 0);
  EXPECT_TRUE(std::isfinite(dg["rhat_max"].get<double>()));  // on the chains kept
  for (const auto& l : j["layers"]) EXPECT_TRUE(std::isfinite(l["frob_dK_exp"].get<double>())) << l.dump();
  // Every chain dead before the first draw: nothing to estimate, a runtime failure that says why.
  j = summary_of(base + " --set sampler.step_size=0.05 --set sampler.warmup=300 --set sampler.samples=10", &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(j["output"].get<std::string>().find("every chain was dropped"), std::string::npos) << j.dump();
}

TEST(DropPolicy, ChainsOverTheDivergenceBudgetAreDropped) {
  int code = 0;
  const std::string base =
      "--set sampler.adapt=false --set sampler.step_size=0.4 --set sampler.jitter=0 --set sampler.chains=16 "
      "--set sampler.groups=8 --set sampler.warmup=10 --set sampler.samples=300";
  auto unlimited = summary_of(base, &code);
  ASSERT_EQ(code, 0);
  EXPECT_GT(unlimited["diagnostics"]["divergences"].get<long>(), 0);
  EXPECT_EQ(unlimited["diagnostics"]["dropped_chains_divergent"], 0);  // budget -1: never drop
  auto budget = summary_of(base + " --set sampler.divergence_budget=0", &code);
  ASSERT_EQ(code, 0) << budget.dump();
  const long dropped = budget["diagnostics"]["dropped_chains_divergent"];
  EXPECT_GT(dropped, 0);
  EXPECT_LT(dropped, 16);
  EXPECT_EQ(budget["diagnostics"]["dropped_chains_nonfinite"], 0);
}
