// The BLAS kernel selection: the instruction set read from cpuid, the OpenBLAS core type it supports, a weaker
// choice corrected (also when generic kernels are forced), and the user's explicit choice respected.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "fwmc/cpu_info.hpp"
#include "host/cpu/elementwise.hpp"
#include "test_helpers.hpp"

using namespace fwmc;
using namespace fwmc::test;

TEST(CpuInfo, CoreTypeCorrectionFollowsTheInstructionSet) {
  CpuIsa avx512, avx2, sse;
  avx512.sse3 = avx512.avx = avx512.avx2 = avx512.fma = avx512.avx512 = true;
  avx2.sse3 = avx2.avx = avx2.avx2 = avx2.fma = true;
  sse.sse3 = true;
  EXPECT_EQ(openblas_core_correction("Prescott", avx512), "SkylakeX");  // the case that made fwmc 3.5x slower
  EXPECT_EQ(openblas_core_correction("Haswell", avx512), "SkylakeX");
  EXPECT_EQ(openblas_core_correction("SkylakeX", avx512), "");
  EXPECT_EQ(openblas_core_correction("Cooperlake", avx512), "");  // already at least as good
  EXPECT_EQ(openblas_core_correction("Prescott", avx2), "Haswell");
  EXPECT_EQ(openblas_core_correction("Zen", avx2), "");
  EXPECT_EQ(openblas_core_correction("Prescott", sse), "");
  EXPECT_EQ(openblas_core_correction("SomeFutureCore", avx512), "");  // unknown: left alone
  EXPECT_EQ(avx512.sp_flops_per_cycle(), 64);
  EXPECT_EQ(avx2.sp_flops_per_cycle(), 32);
}

TEST(CpuInfo, CpuidAgreesWithTheKernelsView) {
  std::ifstream in("/proc/cpuinfo");
  std::string flags;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("flags", 0) == 0) {
      flags = line + " ";
      break;
    }
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo flags";
  const CpuIsa isa = detect_isa();
  EXPECT_EQ(isa.avx2, flags.find(" avx2 ") != std::string::npos);
  EXPECT_EQ(isa.fma, flags.find(" fma ") != std::string::npos);
  EXPECT_EQ(isa.avx512, flags.find(" avx512f ") != std::string::npos && flags.find(" avx512vl ") != std::string::npos);
}

TEST(CpuInfo, ForcedGenericKernelsAreDetectedAndCorrected) {
  const CpuIsa isa = detect_isa();
  const std::string best = openblas_core_for(isa);
  if (best.empty()) GTEST_SKIP() << "this CPU has nothing better than the generic kernels";
  // Generic kernels forced through the environment: the user's choice stands by default...
  CmdResult r = run_fwmc_env("OPENBLAS_CORETYPE=Prescott", "--version");
  EXPECT_NE(r.output.find("BLAS kernels: Prescott (OPENBLAS_CORETYPE)"), std::string::npos) << r.output;
  // ...and is detected and corrected with FWMC_BLAS_CORETYPE=always (what fwmc does to the BLAS's own choice).
  r = run_fwmc_env("OPENBLAS_CORETYPE=Prescott FWMC_BLAS_CORETYPE=always", "--version");
  EXPECT_NE(r.output.find("BLAS kernels: " + best + " (selected by fwmc; OpenBLAS chose Prescott"), std::string::npos)
      << r.output;
  // With no setting, the kernels are never weaker than the instruction set allows.
  r = run_fwmc_env("", "--version");
  const auto at = r.output.find("BLAS kernels: ");
  ASSERT_NE(at, std::string::npos) << r.output;
  const std::string kernel = r.output.substr(at + 14, r.output.find_first_of(" \n", at + 14) - at - 14);
  EXPECT_EQ(openblas_core_correction(kernel, isa), "") << r.output;
  r = run_fwmc_env("FWMC_BLAS_CORETYPE=keep", "--version");  // the documented way to opt out
  EXPECT_EQ(r.output.find("selected by fwmc"), std::string::npos) << r.output;
  r = run_fwmc_env("FWMC_BLAS_CORETYPE=fastest", "--version");  // a knob with an unknown value is an input error
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.output, "fwmc: error: FWMC_BLAS_CORETYPE=fastest: expected auto, keep or always\n");
}

// The element-wise passes run as an AVX-512, AVX2 or baseline clone, whichever the CPU has: each must give bitwise
// the numbers of the plain loops written here (compiled for baseline x86-64).
template <class T>
void check_elementwise_clones() {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> nd;
  for (long n : {1L, 7L, 8L, 1003L}) {
    std::vector<T> th(n), g(n), p(n);
    for (long j = 0; j < n; ++j) th[j] = T(nd(rng)), g[j] = T(nd(rng)), p[j] = T(nd(rng));
    std::vector<T> g2 = g, p2 = p, th2 = th;
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (long j = 0; j < n; ++j) {
      g2[j] += static_cast<T>(th[j] * 0.7);
      s[j % 8] += static_cast<double>(th[j]) * th[j];
    }
    const double want = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    EXPECT_EQ(cpu::prior_gradient(n, th.data(), 0.7, g.data()), want) << n;
    EXPECT_EQ(cpu::sum_squares_n(n, th.data()), want) << n;
    EXPECT_TRUE(g == g2) << n;
    const T hf = T(0.5) * T(0.03);
    for (long j = 0; j < n; ++j) p2[j] = p[j] - T(1) * hf * g[j];
    cpu::kick_n(n, g.data(), hf, p.data());
    EXPECT_TRUE(p == p2) << n;
    for (int halves : {1, 2}) {  // kicks then a drift, into another array and in place
      std::vector<T> q = p, out(n), th3 = th;
      for (long j = 0; j < n; ++j) {
        for (int k = 0; k < halves; ++k) q[j] = q[j] - T(1) * hf * g[j];
        th2[j] = th[j] + T(0.03) * q[j] * T(1.5);
      }
      std::vector<T> p3 = p;
      cpu::kick_drift_n(n, g.data(), hf, halves, T(0.03), T(1.5), p3.data(), th.data(), out.data());
      EXPECT_TRUE(p3 == q && out == th2) << n << " halves " << halves;
      p3 = p;
      cpu::kick_drift_n(n, g.data(), hf, halves, T(0.03), T(1.5), p3.data(), th3.data(), th3.data());
      EXPECT_TRUE(p3 == q && th3 == th2) << n << " halves " << halves << " in place";
    }
  }
}

TEST(CpuInfo, ElementwiseClonesGiveTheNumbersOfPlainLoops) {
  check_elementwise_clones<float>();
  check_elementwise_clones<double>();
}
