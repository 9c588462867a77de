// The shared Philox4x32-10 against Random123's reference implementation, and the normals built from it.
#include <gtest/gtest.h>

#include <Random123/philox.h>

#include <cmath>
#include <random>

#include "host/cpu/normals.hpp"
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
    s += x;
    s2 += x * x;
    s4 += x * x * x * x;
    cross += x * y;
  }
  EXPECT_LT(std::abs(s / n) / std::sqrt(1.0 / n), 4.0);
  EXPECT_LT(std::abs(s2 / n - 1) / std::sqrt(2.0 / n), 4.0);
  EXPECT_LT(std::abs(s4 / n - 3) / std::sqrt(96.0 / n), 4.0);
  EXPECT_LT(std::abs(cross / n) / std::sqrt(1.0 / n), 4.0);
  // Counter-based: the same (key, element) always gives the same number.
  EXPECT_EQ(shared::normal_at<double>(a, 12345), shared::normal_at<double>(a, 12345));
}

TEST(Philox, OwnLogAndSincosMatchTheLibraryToRounding) {
  // Every input the Box-Muller transform can see is (x + 1) 2^-32 for a 32-bit x; sample them across all scales.
  std::mt19937_64 rng(3);
  double worst_log = 0, worst_trig = 0;
  for (int t = 0; t < 200000; ++t) {
    const std::uint32_t x =
        t < 64 ? (t < 32 ? (1u << t) - 1 : ~0u - (t - 32)) : static_cast<std::uint32_t>(rng() >> (rng() % 32));
    const double u = shared::uniform_open0<double>(x);
    const double l = shared::log_unit(u), want = std::log(u);
    worst_log = std::max(worst_log, std::abs(l - want) / std::max(std::abs(want), 1e-300));
    double s, c;
    shared::sincos_2pi(u, s, c);
    worst_trig = std::max({worst_trig, std::abs(s - std::sin(2 * M_PI * u)), std::abs(c - std::cos(2 * M_PI * u))});
  }
  EXPECT_LT(worst_log, 4e-16);   // relative; log(1) = 0 exactly is included
  EXPECT_LT(worst_trig, 2e-15);  // absolute; the library's own 2 pi u carries one rounding of pi
  EXPECT_EQ(shared::log_unit(1.0), 0.0);
  for (std::uint32_t x : {0u, 1u, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu, 123456789u})
    EXPECT_EQ(shared::unit_open0(x), shared::uniform_open0<double>(x)) << x;
}

TEST(Philox, BulkCpuNormalsEqualTheElementwiseOnes) {
  shared::RngKey k{11, 2, 4};
  for (std::uint64_t e0 : {0ULL, 1ULL, 3ULL, 517ULL})
    for (long n : {1L, 5L, 511L, 1300L}) {
      std::vector<double> got(n);
      cpu::fill_normals(k, e0, n, got.data());
      for (long i = 0; i < n; ++i)
        ASSERT_EQ(got[i], shared::normal_at<double>(k, e0 + i)) << e0 << " " << n << " " << i;
    }
}
