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

namespace {

// The first index where got differs from want beyond tol (relative to want's largest finite value), NaN and Inf
// compared as values; -1 when none.
long first_difference(const std::vector<double>& want, const std::vector<double>& got, double tol) {
  if (want.size() != got.size()) return 0;
  double scale = 1e-30;
  for (double v : want)
    if (std::isfinite(v)) scale = std::max(scale, std::abs(v));
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double a = want[i], b = got[i];
    if (std::isnan(a) || std::isnan(b)) {
      if (std::isnan(a) != std::isnan(b)) return static_cast<long>(i);
    } else if (std::isinf(a) || std::isinf(b)) {
      if (a != b) return static_cast<long>(i);
    } else if (std::abs(a - b) > tol * scale) {
      return static_cast<long>(i);
    }
  }
  return -1;
}

template <class T>
void every_case_matches_the_reference(double device_tol) {
  auto ref = make_cpu_backend<T>();
  const bool device = !cuda_devices().empty();
  auto test = device ? make_cuda_backend<T>() : make_cpu_backend<T>();
  const double tol = device ? device_tol : 0.0;  // the CPU repeats itself bitwise
  const bool perf = std::getenv("FWMC_OPS_PERF") != nullptr;
  int n = 0;
  for (const auto& c : backend_op_cases<T>()) {
    OpContext<T> want{*ref, std::mt19937_64(2026), {}}, got{*test, std::mt19937_64(2026), {}};
    c.run(want);
    c.run(got);
    const double s = got.seconds;
    if (perf)
      std::printf("  %-48s %-52s %9.3f ms %8.3g Melem/s\n", c.op.c_str(), c.shape.c_str(), 1e3 * s, c.work / s / 1e6);
    const std::string where = c.op + " [" + c.shape + "] on " + test->name();
    EXPECT_TRUE(want.out.guards_ok) << where << ": the reference wrote outside an output";
    EXPECT_TRUE(got.out.guards_ok) << where << ": wrote outside an output";
    ASSERT_EQ(want.out.values.size(), got.out.values.size()) << where;
    for (std::size_t k = 0; k < want.out.values.size(); ++k) {
      const auto& [name, w] = want.out.values[k];
      const long i = first_difference(w, got.out.values[k].second, tol);
      EXPECT_EQ(i, -1) << where << ", output " << name << "[" << i << "]: " << (i >= 0 ? w[i] : 0) << " vs "
                       << (i >= 0 && i < static_cast<long>(got.out.values[k].second.size())
                               ? got.out.values[k].second[i]
                               : 0);
    }
    ++n;
  }
  std::printf("  %d cases on %s against the CPU reference (tolerance %g)\n", n, test->name().c_str(), tol);
}

}  // namespace

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

TEST(BackendOps, EveryCaseMatchesTheCpuReferenceInFloat) { every_case_matches_the_reference<float>(1e-5); }

TEST(BackendOps, EveryCaseMatchesTheCpuReferenceInDouble) { every_case_matches_the_reference<double>(1e-12); }

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
