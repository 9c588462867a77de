// SGEMM at the large fwmc_bench config's main shapes (P = 1024, widths 512) through the cblas_sgemm of the BLAS
// library named on the command line (symbol name from $SYM, default cblas_sgemm); median of 5 timings per shape.
// Used by bench/blas_options.sh to compare the BLAS libraries fwmc could use.
#include <dlfcn.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>
typedef void (*sgemm_t)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
int main(int argc, char** argv) {
  void* h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    std::printf("dlopen failed: %s\n", dlerror());
    return 1;
  }
  auto f = (sgemm_t)dlsym(h, getenv("SYM") ? getenv("SYM") : "cblas_sgemm");
  struct S {
    int ta, tb, m, n, k;
  } shapes[] = {
      {111, 111, 1024, 512, 512}, {112, 111, 512, 512, 1024}, {111, 112, 1024, 512, 512}, {111, 112, 1024, 1024, 512}};
  double total_flops = 0, total_s = 0;
  for (auto s : shapes) {
    int lda = s.ta == 111 ? s.m : s.k, ldb = s.tb == 111 ? s.k : s.n;
    std::vector<float> A((size_t)s.m * s.k, 0.5f), B((size_t)s.k * s.n, 0.25f), C((size_t)s.m * s.n);
    for (int w = 0; w < 3; ++w)
      f(102, s.ta, s.tb, s.m, s.n, s.k, 1.f, A.data(), lda, B.data(), ldb, 0.f, C.data(), s.m);
    std::vector<double> t;
    for (int r = 0; r < 5; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < 8; ++i)
        f(102, s.ta, s.tb, s.m, s.n, s.k, 1.f, A.data(), lda, B.data(), ldb, 0.f, C.data(), s.m);
      t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 8);
    }
    std::sort(t.begin(), t.end());
    double fl = 2.0 * s.m * s.n * s.k;
    total_flops += fl;
    total_s += t[2];
    std::printf("  %c%c %4d x %4d x %4d: %6.1f GFLOP/s\n", s.ta == 111 ? 'n' : 't', s.tb == 111 ? 'n' : 't', s.m, s.n,
                s.k, fl / t[2] / 1e9);
  }
  std::printf("all: %.1f GFLOP/s\n", total_flops / total_s / 1e9);
}
