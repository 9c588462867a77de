// R-hat / ESS against the golden values in tests/data/diagnostics (Stan's tolerances).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "fwmc/diagnostics.hpp"

using namespace fwmc;

namespace {

// Columns chain, draw, lp__, theta -> one Chains per column.
bool load_golden(Chains& lp, Chains& theta) {
  std::ifstream in(std::string(FWMC_SOURCE_DIR) + "/tests/data/diagnostics/bernoulli_4chains.csv");
  if (!in) return false;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string c, d, a, b;
    std::getline(ss, c, ',');
    std::getline(ss, d, ',');
    std::getline(ss, a, ',');
    std::getline(ss, b, ',');
    const std::size_t k = std::stoul(c) - 1;
    if (lp.size() <= k) {
      lp.resize(k + 1);
      theta.resize(k + 1);
    }
    lp[k].push_back(std::stod(a));
    theta[k].push_back(std::stod(b));
  }
  return true;
}

}  // namespace

TEST(Diagnostics, GoldenValuesFromStan) {
  Chains lp, th;
  ASSERT_TRUE(load_golden(lp, th)) << "tests/data/diagnostics/bernoulli_4chains.csv is part of the repository";
  ASSERT_EQ(lp.size(), 4u);
  EXPECT_NEAR(rhat_basic(lp), 1.0001296, 1e-5);
  EXPECT_NEAR(rhat_basic(th), 1.0029197, 1e-5);
  EXPECT_NEAR(rhat_rank(lp), 1.0007301, 1e-5);
  EXPECT_NEAR(rhat_rank(th), 1.0067897, 1e-5);
  EXPECT_NEAR(ess_bulk(lp), 1512.7684, 1e-3);
  EXPECT_NEAR(ess_bulk(th), 1407.5124, 1e-3);
  EXPECT_NEAR(ess_tail(lp), 1591.9707, 1e-3);
  EXPECT_NEAR(ess_tail(th), 1291.7131, 1e-3);
}

TEST(Diagnostics, DegenerateInputsGiveNaN) {
  Chains constant(4, std::vector<double>(100, 2.0));
  EXPECT_TRUE(std::isnan(rhat_rank(constant)));
  EXPECT_TRUE(std::isnan(ess_bulk(constant)));
  Chains shortc(4, std::vector<double>{1, 2, 3});
  EXPECT_TRUE(std::isnan(rhat_basic(shortc)));
  Chains bad(2, std::vector<double>{1, 2, 3, 4, 5});
  bad[1][2] = NAN;
  EXPECT_TRUE(std::isnan(ess_tail(bad)));
}

TEST(Diagnostics, IidDrawsAndStuckChains) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> nd;
  Chains x(8, std::vector<double>(500));
  for (auto& c : x)
    for (double& v : c) v = nd(rng);
  EXPECT_LT(rhat_rank(x), 1.01);
  EXPECT_NEAR(ess_bulk(x), 4000, 4000 * 0.15);
  EXPECT_LT(rhat_nested(x, 4), 1.01);
  // Shift one superchain: nested R-hat and R-hat must flag it.
  for (int j = 0; j < 2; ++j)
    for (double& v : x[j]) v += 3;
  EXPECT_GT(rhat_rank(x), 1.1);
  EXPECT_GT(rhat_nested(x, 4), 1.1);
}

TEST(Diagnostics, DriftSeesATransientSharedByAllChains) {
  std::mt19937_64 rng(8);
  std::normal_distribution<double> nd;
  Chains x(32, std::vector<double>(400));
  for (auto& c : x)
    for (double& v : c) v = nd(rng);
  EXPECT_LT(std::abs(drift_z(x, 16)), 4.0);
  for (auto& c : x)  // every chain relaxes from the same start: R-hat cannot tell, the drift can
    for (std::size_t i = 0; i < c.size(); ++i) c[i] += 0.5 * std::exp(-double(i) / 100);
  EXPECT_LT(rhat_rank(x), 1.01);
  EXPECT_GT(std::abs(drift_z(x, 16)), 4.0);
}

TEST(Diagnostics, InverseNormalCdf) {
  for (double p : {1e-10, 0.001, 0.2, 0.5, 0.9, 0.999999}) {
    const double x = inverse_normal_cdf(p);
    EXPECT_NEAR(0.5 * std::erfc(-x / std::sqrt(2.0)), p, 1e-14 + 1e-12 * p);
  }
}

TEST(Diagnostics, TooFewDrawsGiveNaNNotACrash) {
  // 5 draws split into halves of 2: fewer than the 4 draws autocorrelations need (found by a 5-draw run).
  const Chains x = {{0.1, 0.5, -0.3, 0.9, 0.2}, {0.4, -0.2, 0.8, 0.0, 0.3}};
  EXPECT_TRUE(std::isnan(ess_bulk(x)));
  EXPECT_TRUE(std::isnan(ess_tail(x)));
  EXPECT_TRUE(std::isfinite(rhat_rank(x)));
}
