// The test binary's main: it selects the BLAS kernels as `fwmc` does (tune_cpu_runtime), so the tests check what
// users run, and it skips the whole binary (exit 77, ctest's SKIP_RETURN_CODE) when OPENBLAS_CORETYPE names
// kernels this CPU cannot run, as ctest's Bitwise.SkylakeX does on a CPU without AVX-512.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "fwmc/cpu_info.hpp"

int main(int argc, char** argv) {
  fwmc::tune_cpu_runtime(argv);
  if (const std::string why = fwmc::blas_kernels_problem(); !why.empty()) {
    std::printf("skipped: %s\n", why.c_str());
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
