// The backend-ops harness run: every case of backend_ops.cpp on the CPU reference and on the backend under test
// (CUDA when a device answers; here, without one, a second CPU backend, so the harness itself runs in CI and the
// CPU must repeat itself bitwise). FWMC_OPS_PERF=1 also times each case on the backend under test.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "backend_ops.hpp"
#include "fwmc/devices.hpp"

using namespace fwmc;
using namespace fwmc::test;

TEST(BackendOps, EveryBackendOperationHasACase) {
  // The pure virtuals of Backend<T>, read from its header: a new one without a case fails here.
  std::ifstream in(std::string(FWMC_SOURCE_DIR) + "/include/fwmc/backend.hpp");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::set<std::string> virtuals;
  const std::regex decl(R"(virtual\s+[\w:<>\*\s]+?\b(\w+)\s*\(([^;]*?)\)\s*(const\s*)?=\s*0\s*;)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), decl); it != std::sregex_iterator(); ++it)
    virtuals.insert((*it)[1]);
  EXPECT_GE(virtuals.size(), 20u) << "the header's declarations were not found";
  std::set<std::string> covered;
  for (const auto& c : backend_op_cases<float>()) {
    std::stringstream ops(c.op);
    for (std::string op; ops >> op;) covered.insert(op);
  }
  for (const auto& v : virtuals)
    EXPECT_TRUE(covered.count(v)) << "Backend::" << v << " has no case in tests/backend_ops.cpp";
  for (const auto& c : covered) EXPECT_TRUE(virtuals.count(c)) << c << " is not a Backend operation";
}

namespace {

// The backend under test: CUDA when a device answers (tests/test_gpu.cpp runs the same with the gpu label), else a
// second CPU backend, which must repeat the reference bitwise.
template <class T>
void against_the_reference(double device_tol) {
  const bool device = !cuda_devices().empty();
  auto test = device ? make_cuda_backend<T>() : make_cpu_backend<T>();
  run_backend_op_cases(*test, device ? device_tol : 0.0);
}

}  // namespace

TEST(BackendOps, EveryCaseMatchesTheCpuReferenceInFloat) { against_the_reference<float>(1e-5); }

TEST(BackendOps, EveryCaseMatchesTheCpuReferenceInDouble) { against_the_reference<double>(1e-12); }

TEST(BackendOps, TheHarnessSeesAWriteOutsideAnOutputAndEveryKindOfDifference) {
  auto be = make_cpu_backend<float>();
  Guarded<float, float> b(*be, std::vector<float>(5, 1.0f));
  const float one = 2.0f;
  be->to_device(b.data() + 5, &one, sizeof one);  // one element past the end
  bool ok = true;
  b.read(ok);
  EXPECT_FALSE(ok);
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(first_difference({1, nan, inf}, {1, nan, inf}, 0), -1);
  EXPECT_EQ(first_difference({1, nan, 3}, {1, 2, 3}, 0), 1);
  EXPECT_EQ(first_difference({1, 2, inf}, {1, 2, -inf}, 0), 2);
  EXPECT_EQ(first_difference({1, 2, 3}, {1, 2, 3.0000001}, 0), 2);
  EXPECT_EQ(first_difference({1, 2, 3}, {1, 2, 3.0000001}, 1e-6), -1);
}
