// Does OpenBLAS round a column of C = op(A) B differently by where it sits in the call? fwmc used to multiply the
// shared data by every chain's weights in one call (the chains' columns side by side); this measures, under every
// x86-64 kernel set the CPU runs, how many chains' results then change with the chain count, against what fwmc does
// now (one call per chain, of a shape fixed by the model). Each kernel set runs in a child process with
// OPENBLAS_CORETYPE set; a set the CPU cannot run (SIGILL) is reported as such.
//
// usage: fwmc_blas_positions            one table row per kernel set
#include <cblas.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern "C" char* openblas_get_corename(void);
extern "C" void openblas_set_num_threads(int);

namespace {

void gemm(int m, int n, int k, const float* A, bool ta, const float* B, float* C) {
  cblas_sgemm(CblasColMajor, ta ? CblasTrans : CblasNoTrans, CblasNoTrans, m, n, k, 0.7f, A, ta ? k : m, B, k, 0.0f, C,
              m);
}
void gemm(int m, int n, int k, const double* A, bool ta, const double* B, double* C) {
  cblas_dgemm(CblasColMajor, ta ? CblasTrans : CblasNoTrans, CblasNoTrans, m, n, k, 0.7, A, ta ? k : m, B, k, 0.0, C,
              m);
}

// Of `chains` chains with w columns each: how many differ, bitwise, between (a) all chains in one call and each
// chain alone, and (b) the per-chain calls made in batches of 4 against batches of all chains (always 0 if the
// product depends on the chain's operands and the shape alone).
template <class T>
std::pair<int, int> differing_chains(int m, int k, int w, int chains, bool ta) {
  std::mt19937 g(1);
  std::normal_distribution<double> nd;
  std::vector<T> A(static_cast<std::size_t>(m) * k), B(static_cast<std::size_t>(k) * w * chains);
  for (auto& x : A) x = static_cast<T>(nd(g));
  for (auto& x : B) x = static_cast<T>(nd(g));
  const std::size_t per = static_cast<std::size_t>(m) * w;
  std::vector<T> all(per * chains), alone(per), other(per * 4);
  gemm(m, w * chains, k, A.data(), ta, B.data(), all.data());
  int side_by_side = 0, per_chain = 0;
  for (int c = 0; c < chains; ++c) {
    gemm(m, w, k, A.data(), ta, B.data() + static_cast<std::size_t>(c) * k * w, alone.data());
    side_by_side += std::memcmp(alone.data(), all.data() + c * per, per * sizeof(T)) != 0;
    // The same chain's own call, made inside another batch (its buffer at another offset).
    T* slot = other.data() + (c % 4) * per;
    gemm(m, w, k, A.data(), ta, B.data() + static_cast<std::size_t>(c) * k * w, slot);
    per_chain += std::memcmp(alone.data(), slot, per * sizeof(T)) != 0;
  }
  return {side_by_side, per_chain};
}

int child() {
  openblas_set_num_threads(1);
  struct Shape {
    int m, k, w;
  };
  // (data rows, data features, columns per chain): fwmc's first-layer and weight-product shapes.
  const Shape shapes[] = {{40, 20, 5}, {27, 20, 24}, {256, 100, 10}, {256, 100, 512}, {1000, 100, 10}, {8, 10, 1}};
  int a = 0, b = 0, total = 0;
  for (const Shape& s : shapes)
    for (int ta = 0; ta < 2; ++ta) {
      const auto f = differing_chains<float>(s.m, s.k, s.w, 16, ta != 0);
      const auto d = differing_chains<double>(s.m, s.k, s.w, 16, ta != 0);
      a += f.first + d.first;
      b += f.second + d.second;
      total += 32;
    }
  std::printf("%-14s %-12s  %4d / %d chains differ side by side   %d / %d differ per chain\n",
              std::getenv("OPENBLAS_CORETYPE"), openblas_get_corename(), a, total, b, total);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--child") return child();
  const char* sets[] = {"Prescott",  "Core2",  "Penryn",    "Dunnington", "Nehalem",       "Atom",      "Opteron",
                        "Barcelona", "Bobcat", "Bulldozer", "Piledriver", "Steamroller",   "Excavator", "Sandybridge",
                        "Haswell",   "Zen",    "SkylakeX",  "Cooperlake", "SapphireRapids"};
  std::printf(
      "OPENBLAS_CORETYPE, then the kernels OpenBLAS reports; 16 chains x 6 shapes x 2 transpositions x 2 "
      "precisions\n");
  for (const char* s : sets) {
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) {
      setenv("OPENBLAS_CORETYPE", s, 1);
      execl("/proc/self/exe", argv[0], "--child", static_cast<char*>(nullptr));
      _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
      std::printf("%-14s cannot run on this CPU (%s)\n", s, WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "failed");
  }
  return 0;
}
