#include "fwmc/cpu_info.hpp"

#include <cblas.h>
#include <cpuid.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" char* openblas_get_corename(void);
extern "C" char* openblas_get_config(void);

namespace fwmc {

namespace {

unsigned long long xgetbv0() {
  unsigned eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

// OpenBLAS x86-64 core types by the widest instruction set of their kernels (names as openblas_get_corename
// returns them, case-insensitive).
const char* const kCores[][2] = {
    {"prescott", "1"},  {"core2", "1"},      {"penryn", "1"},      {"dunnington", "1"},    {"nehalem", "2"},
    {"atom", "1"},      {"barcelona", "1"},  {"bobcat", "1"},      {"opteron", "1"},       {"sandybridge", "3"},
    {"bulldozer", "3"}, {"piledriver", "3"}, {"steamroller", "3"}, {"excavator", "4"},     {"haswell", "4"},
    {"zen", "4"},       {"skylakex", "5"},   {"cooperlake", "6"},  {"sapphirerapids", "6"}};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

CpuIsa detect_isa() {
  CpuIsa r;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return r;
  r.sse3 = c & bit_SSE3;
  const bool osxsave = c & bit_OSXSAVE;
  const unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
  const bool ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xe6) == 0xe6;  // the OS saves the vector state
  r.avx = ymm && (c & bit_AVX);
  r.fma = r.avx && (c & bit_FMA);
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    r.avx2 = r.avx && (b & bit_AVX2);
    r.avx512 = zmm && (b & bit_AVX512F) && (b & bit_AVX512VL) && (b & bit_AVX512BW) && (b & bit_AVX512DQ) &&
               (b & bit_AVX512CD);
    unsigned a1, b1, c1, d1;
    if (__get_cpuid_count(7, 1, &a1, &b1, &c1, &d1)) r.avx512_bf16 = r.avx512 && (a1 & (1u << 5));
  }
  return r;
}

std::string CpuIsa::name() const {
  if (avx512) return avx512_bf16 ? "AVX-512 (with BF16)" : "AVX-512";
  if (avx2 && fma) return "AVX2+FMA";
  if (avx) return "AVX";
  return sse3 ? "SSE3" : "x86-64";
}

int CpuIsa::sp_flops_per_cycle() const {
  if (avx512) return 64;       // 2 x 16 lanes x (mul + add)
  if (avx2 && fma) return 32;  // 2 x 8 lanes x 2
  if (avx) return 16;          // one add and one mul port x 8 lanes
  return 8;
}

std::string openblas_core_for(const CpuIsa& isa) {
  if (isa.avx512) return "SkylakeX";  // Cooperlake adds only bf16 GEMMs, which fwmc does not use
  if (isa.avx2 && isa.fma) return "Haswell";
  if (isa.avx) return "Sandybridge";
  return "";
}

int openblas_core_rank(const std::string& core) {
  const std::string c = lower(core);
  for (const auto& e : kCores)
    if (c == e[0]) return std::atoi(e[1]);
  return -1;
}

std::string openblas_core_correction(const std::string& chosen, const CpuIsa& isa) {
  const std::string best = openblas_core_for(isa);
  const int have = openblas_core_rank(chosen), can = openblas_core_rank(best);
  return have >= 0 && can > have ? best : "";
}

BlasInfo blas_info() {
  BlasInfo b;
  b.config = openblas_get_config();
  b.kernel = openblas_get_corename();
  const char* by = std::getenv("FWMC_BLAS_SELECTED");
  const char* user = std::getenv("OPENBLAS_CORETYPE");
  if (by && *by) {
    b.selected_by = "fwmc";
    b.replaced = by;
  } else if (user && *user) {
    b.selected_by = "OPENBLAS_CORETYPE";
  }
  return b;
}

namespace {

// Multiplies small matrices in both precisions and transpositions, and at sizes that take OpenBLAS's small-matrix
// and packed paths.
void blas_selftest() {
  for (const int n : {8, 96}) {
    std::vector<float> a(static_cast<std::size_t>(n) * n, 0.5f), c(a.size());
    std::vector<double> b(a.size(), 0.5), d(a.size());
    for (const auto t : {CblasNoTrans, CblasTrans}) {
      cblas_sgemm(CblasColMajor, t, CblasNoTrans, n, n, n, 1.0f, a.data(), n, a.data(), n, 0.0f, c.data(), n);
      cblas_dgemm(CblasColMajor, t, CblasNoTrans, n, n, n, 1.0, b.data(), n, b.data(), n, 0.0, d.data(), n);
    }
  }
}

}  // namespace

std::string blas_kernels_problem() {
  // Only kernels named in the environment can be wrong for the CPU: OpenBLAS's own choice and fwmc's fit it.
  const char* user = std::getenv("OPENBLAS_CORETYPE");
  if (!user || !*user || std::getenv("FWMC_BLAS_SELECTED")) return "";
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    blas_selftest();
    ::_exit(0);
  }
  int st = 0;
  if (pid < 0 || ::waitpid(pid, &st, 0) != pid || (WIFEXITED(st) && WEXITSTATUS(st) == 0)) return "";
  const CpuIsa isa = detect_isa();
  const std::string fit = openblas_core_for(isa);
  return std::string("OPENBLAS_CORETYPE=") + std::string(user).substr(0, 40) + ": the BLAS's " +
         openblas_get_corename() + " kernels do not run on this CPU (" + isa.name() + "; a test product died of " +
         (WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "an error") + "): unset it" +
         (fit.empty() ? std::string() : " or set " + fit);
}

void tune_cpu_runtime(char** argv) {
  if (std::getenv("FWMC_RUNTIME_TUNED")) return;  // this is the re-executed process
  bool again = false;
  // FWMC_BLAS_CORETYPE: auto (default: correct the BLAS's own choice), keep (never), always (also correct a
  // weaker OPENBLAS_CORETYPE set in the environment).
  const char* knob = std::getenv("FWMC_BLAS_CORETYPE");
  const std::string mode = knob ? knob : "auto";
  if (mode != "auto" && mode != "keep" && mode != "always") {
    std::fprintf(stderr, "fwmc: error: FWMC_BLAS_CORETYPE=%.40s: expected auto, keep or always\n", mode.c_str());
    std::exit(2);
  }
  if (mode == "always" || (mode == "auto" && !std::getenv("OPENBLAS_CORETYPE"))) {
    const std::string chosen = openblas_get_corename();
    const std::string fix = openblas_core_correction(chosen, detect_isa());
    if (!fix.empty()) {
      setenv("OPENBLAS_CORETYPE", fix.c_str(), 1);
      setenv("FWMC_BLAS_SELECTED", chosen.c_str(), 1);
      again = true;
    }
  }
  // Idle OpenMP threads sleep instead of spinning: on a shared machine spinning threads steal the cores the
  // working ones need (bench/RESULTS.md section 4).
  if (!std::getenv("OMP_WAIT_POLICY")) {
    setenv("OMP_WAIT_POLICY", "passive", 1);
    again = true;
  }
  if (!again) return;
  setenv("FWMC_RUNTIME_TUNED", "1", 1);
  ::execv("/proc/self/exe", argv);  // on failure: carry on with the libraries' own choices
}

}  // namespace fwmc
