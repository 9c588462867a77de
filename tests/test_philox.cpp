// The shared Philox4x32-10 against Random123's reference implementation, and the normals built from it.
#include <gtest/gtest.h>

#include <Random123/philox.h>

#include <cmath>
#include <random>

#include "kernels/shared/philox.cuh"

using namespace fwmc;

TEST(Philox, MatchesRandom123) {
  std::mt19937_64 rng(1);
  r123::Philox4x32 ref;
  for (int t = 0; t < 1000; ++t) {
    r123::Philox4x32::ctr_type c = {{static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()),
                                     static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng())}};
    r123::Philox4x32::key_type k = {{static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng())}};
    auto want = ref(c, k);
    auto got = shared::philox4x32_10(c[0], c[1], c[2], c[3], k[0], k[1]);
    for (int i = 0; i < 4; ++i) ASSERT_EQ(got.v[i], want[i]);
  }
}

TEST(Philox, NormalsHaveUnitMomentsAndDistinctStreams) {
  shared::RngKey a{123, 7, 5}, b{123, 8, 5};
  const int n = 200000;
  double s = 0, s2 = 0, s4 = 0, cross = 0;
  for (int i = 0; i < n; ++i) {
    const double x = shared::normal_at<double>(a, i), y = shared::normal_at<double>(b, i);
    s += x; s2 += x * x; s4 += x * x * x * x; cross += x * y;
  }
  EXPECT_LT(std::abs(s / n) / std::sqrt(1.0 / n), 4.0);
  EXPECT_LT(std::abs(s2 / n - 1) / std::sqrt(2.0 / n), 4.0);
  EXPECT_LT(std::abs(s4 / n - 3) / std::sqrt(96.0 / n), 4.0);
  EXPECT_LT(std::abs(cross / n) / std::sqrt(1.0 / n), 4.0);
  // Counter-based: the same (key, element) always gives the same number.
  EXPECT_EQ(shared::normal_at<double>(a, 12345), shared::normal_at<double>(a, 12345));
}

TEST(Philox, BlockwiseNormalsEqualTheElementwiseOnes) {
  shared::RngKey k{5, 3, 9};
  std::vector<double> got(23);
  shared::for_each_normal(k, 6, 23, [&](long i, double x) { got[i] = x; });
  for (int i = 0; i < 23; ++i) ASSERT_EQ(got[i], shared::normal_at<double>(k, 6 + i));
}
