// fwmc_bench: sampler throughput on a ladder of fcn configs, as a ratio to the machine's own GEMM ceiling
// measured in the same run at the same shapes. One timed iteration is a ULA step plus a draw into the kernel
// accumulator (forward, backward, kernel and tr(K Phi) GEMMs: thin = 1, the most accumulation a run does). The
// ceiling replays exactly the GEMM calls of one iteration (recorded through a Backend decorator) with nothing else
// in between. Step and replay are timed in 3 interleaved rounds and each reported as its median.
// Beside that replayed-GEMM ratio, the large config is also compared with the best GEMM any BLAS kernel set this
// CPU can load reaches on the same calls (each measured in a child process with OPENBLAS_CORETYPE set, median of 3),
// and with the processor's peak FLOP/s (cores x clock x FLOPs per cycle of its instruction set).
//   usage: fwmc_bench [--device cpu|cuda] [--quick]
// Last lines: large_config_ceiling_ratio=<x>, large_config_best_gemm_ratio=<x>, large_config_peak_fraction=<x>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "fwmc/backend.hpp"
#include "fwmc/config.hpp"
#include "fwmc/cpu_info.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/devices.hpp"
#include "fwmc/fcn_model.hpp"
#include "fwmc/forwarding_backend.hpp"
#include "fwmc/kernel_accumulator.hpp"
#include "fwmc/sampler.hpp"

using namespace fwmc;
using Clock = std::chrono::steady_clock;

namespace {

struct GemmCall {
  bool ta, tb;
  int m, n, k, lda, ldb, ldc, batch;
  long sa, sb, sc;
};

// Forwards every operation to `inner`; records the shapes of GEMM calls while `recording`.
class Recorder final : public ForwardingBackend<float> {
 public:
  explicit Recorder(Backend<float>& inner) : ForwardingBackend<float>(inner) {}
  bool recording = false;
  std::vector<GemmCall> calls;
  void gemm_strided(bool ta, bool tb, int m, int n, int k, float al, const float* A, int lda, long sa, const float* B,
                    int ldb, long sb, float be, float* C, int ldc, long sc, int batch) override {
    if (recording) calls.push_back({ta, tb, m, n, k, lda, ldb, ldc, batch, sa, sb, sc});
    ForwardingBackend<float>::gemm_strided(ta, tb, m, n, k, al, A, lda, sa, B, ldb, sb, be, C, ldc, sc, batch);
  }

 private:
  void on_call(const char*) override {}
};

double flops(const std::vector<GemmCall>& calls) {
  double f = 0;
  for (const auto& c : calls) f += 2.0 * c.m * c.n * c.k * c.batch;
  return f;
}

// Largest element a call touches in each operand (for replay buffers).
std::size_t extent(long stride, int ld, int cols, int batch) {
  return static_cast<std::size_t>(stride) * (batch - 1) + static_cast<std::size_t>(ld) * cols;
}

double replay_seconds(Backend<float>& be, const std::vector<GemmCall>& calls, int reps) {
  std::size_t na = 0, nb = 0, nc = 0;
  for (const auto& c : calls) {
    na = std::max(na, extent(c.sa, c.lda, c.ta ? c.m : c.k, c.batch));
    nb = std::max(nb, extent(c.sb, c.ldb, c.tb ? c.k : c.n, c.batch));
    nc = std::max(nc, extent(c.sc, c.ldc, c.n, c.batch));
  }
  Buffer<float, float> A(be, na), B(be, nb), C(be, nc);
  std::vector<float> tmp(C.size());
  auto run = [&] {
    for (const auto& c : calls)
      be.gemm_strided(c.ta, c.tb, c.m, c.n, c.k, 1.0f, A.data(), c.lda, c.sa, B.data(), c.ldb, c.sb, 0.0f, C.data(),
                      c.ldc, c.sc, c.batch);
    be.to_host(tmp.data(), C.data(), sizeof(float));  // synchronise
  };
  run();
  const auto t0 = Clock::now();
  for (int r = 0; r < reps; ++r) run();
  return std::chrono::duration<double>(Clock::now() - t0).count() / reps;
}

struct Rung {
  const char* name;
  int P, n0, nd, chains;
  std::vector<int> widths;
};

int reps_for(double f, bool quick) { return quick ? 3 : std::max(3, static_cast<int>(2e10 / std::max(f, 1.0))); }

// One rung: the GEMM calls of one iteration, and the step time and replayed-GEMM time, each the median of
// kRounds interleaved rounds (single timings vary by up to 30% on a shared machine).
struct Measured {
  double flops = 0, step_s = 0, gemm_s = 0;
  std::vector<GemmCall> calls;
};
constexpr int kRounds = 3;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

Measured measure(Recorder& be, Backend<float>& inner, const Rung& r, bool quick, bool gemms_only) {
  Config c = parse_config("", "bench");
  c.data.n_train = r.P;
  c.data.input_dim = r.n0;
  c.data.output_dim = r.nd;
  c.data.targets = Targets::noise;  // a teacher network's forward pass would only slow the set-up
  c.model.widths = r.widths;
  c.model.activation = Activation::relu;
  c.model.sigma.assign(r.widths.size() + 1, 1.0);
  const Dataset d = load_dataset(c);
  const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
  FcnModel<float> model(be, m, d, 1.0, r.chains, 0);
  SamplerSettings s;
  s.method = "ula";
  s.step_size = 1e-4;
  Sampler<float> smp(model, s);
  KernelAccumulator<float> acc(model, std::min(r.chains, 32), Eigen::MatrixXd::Identity(d.P, d.P));
  smp.init_from_prior();
  auto iteration = [&](int it) {
    smp.step(it);
    acc.observe(smp.state().theta.data(), smp.state().U);
  };
  be.calls.clear();
  be.recording = true;
  iteration(0);
  be.recording = false;
  Measured out;
  out.flops = flops(be.calls);
  out.calls = be.calls;
  if (gemms_only) return out;
  const int iters = reps_for(out.flops, quick);
  std::vector<double> step, gemm;
  for (int k = 0, it = 1; k < kRounds; ++k) {
    const auto t0 = Clock::now();
    for (int i = 0; i < iters; ++i) iteration(it++);
    step.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / iters);
    gemm.push_back(replay_seconds(inner, out.calls, iters));
  }
  out.step_s = median(step);
  out.gemm_s = median(gemm);
  return out;
}

// The processor's single-precision peak: cores this process may use x clock x FLOPs per cycle.
double peak_gflops(const CpuIsa& isa, int* cores, double* ghz) {
  cpu_set_t set;
  *cores =
      sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  double mhz = 0;
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("cpu MHz", 0) == 0) mhz = std::max(mhz, std::atof(line.substr(line.find(':') + 1).c_str()));
  *ghz = mhz / 1000;
  return *cores * *ghz * isa.sp_flops_per_cycle();
}

}  // namespace

int main(int argc, char** argv) {
  tune_cpu_runtime(argv);  // the kernels fwmc itself runs with
  std::string device = "cpu";
  bool quick = false, gemm_child = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--device") && i + 1 < argc) device = argv[++i];
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    if (!std::strcmp(argv[i], "--large-gemm-only")) gemm_child = true;  // a child measuring one kernel set
  }
  const bool gpu = device == "cuda";
  if (gpu && cuda_devices().empty()) {
    std::fprintf(stderr, "fwmc_bench: no CUDA device\n");
    return 2;
  }
  auto inner = gpu ? make_cuda_backend<float>() : make_cpu_backend<float>();
  Recorder be(*inner);
  const int scale = gpu ? 16 : 1;  // a GPU gets many more chains
  std::vector<Rung> ladder = {{"small", 16, 16, 1, 256 * scale, {64}},
                              {"medium", 128, 50, 10, 32 * scale, {256, 256}},
                              {"large", 1024, 100, 10, (quick ? 2 : 8) * scale, {512, 512, 512}}};
  if (gemm_child) {
    const Measured m = measure(be, *inner, ladder.back(), quick, true);
    std::vector<double> g;
    g.reserve(kRounds);
    for (int k = 0; k < kRounds; ++k) g.push_back(replay_seconds(*inner, m.calls, reps_for(m.flops, quick)));
    std::printf("gemm_gflops=%.6g\n", m.flops / median(g) / 1e9);
    return 0;
  }
  const BlasInfo blas = blas_info();
  std::printf("fwmc_bench on %s (%s)\n", be.name().c_str(),
              gpu ? cuda_devices()[0].c_str() : ("OpenBLAS + OpenMP, kernels " + blas.kernel).c_str());
  std::printf("%-7s %6s %5s %-15s %12s %12s %12s %7s\n", "config", "chains", "P", "widths", "chain-steps/s", "GFLOP/s",
              "GEMM GFLOP/s", "ratio");
  double large_ratio = 0, large_gflops = 0, large_replay_gflops = 0;
  for (const auto& r : ladder) {
    const Measured m = measure(be, *inner, r, quick, false);
    const double gemm_s = m.gemm_s;
    const double ratio = gemm_s / m.step_s;
    std::string w;
    for (int x : r.widths) w += (w.empty() ? "" : ",") + std::to_string(x);
    std::printf("%-7s %6d %5d %-15s %12.4g %12.4g %12.4g %7.3f\n", r.name, r.chains, r.P, w.c_str(),
                r.chains / m.step_s, m.flops / m.step_s / 1e9, m.flops / gemm_s / 1e9, ratio);
    if (!std::strcmp(r.name, "large")) {
      large_ratio = ratio;
      large_gflops = m.flops / m.step_s / 1e9;
      large_replay_gflops = m.flops / gemm_s / 1e9;
    }
  }
  std::printf("large_config_ceiling_ratio=%.3f\n", large_ratio);
  if (gpu) return 0;
  // The best GEMM on this machine: the large config's calls under every OpenBLAS kernel set the ISA can run.
  const CpuIsa isa = detect_isa();
  double best = large_replay_gflops;  // this process's own kernels count too
  std::string best_core = blas.kernel;
  for (const char* core : {"Prescott", "Sandybridge", "Haswell", "SkylakeX", "Cooperlake"}) {
    const int rank = openblas_core_rank(core);
    if (rank > openblas_core_rank(openblas_core_for(isa)) && !(isa.avx512_bf16 && rank == 6)) continue;  // SIGILL
    const std::string cmd = std::string("FWMC_RUNTIME_TUNED=1 OPENBLAS_CORETYPE=") + core + " /proc/" +
                            std::to_string(getpid()) + "/exe --large-gemm-only" + (quick ? " --quick" : "");
    FILE* f = popen(cmd.c_str(), "r");
    double g = 0;
    if (f && std::fscanf(f, "gemm_gflops=%lf", &g) == 1 && g > best) {
      best = g;
      best_core = core;
    }
    if (f) pclose(f);
    std::printf("  large config GEMMs with %-11s kernels: %8.4g GFLOP/s\n", core, g);
  }
  int cores = 0;
  double ghz = 0;
  const double peak = peak_gflops(isa, &cores, &ghz);
  std::printf(
      "  fwmc's large-config step: %.4g GFLOP/s with %s kernels; best GEMM (%s kernels) %.4g GFLOP/s; "
      "peak %.4g GFLOP/s (%d cores x %.3g GHz x %d FLOP/cycle, %s)\n",
      large_gflops, blas.kernel.c_str(), best_core.c_str(), best, peak, cores, ghz, isa.sp_flops_per_cycle(),
      isa.name().c_str());
  std::printf("large_config_best_gemm_ratio=%.3f\n", best > 0 ? large_gflops / best : 0.0);
  std::printf("large_config_peak_fraction=%.3f\n", peak > 0 ? large_gflops / peak : 0.0);
  return 0;
}
