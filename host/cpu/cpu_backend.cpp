// CpuBackend: OpenBLAS for GEMMs, OpenMP loops over the shared per-element math. Reductions run per chain in a
// fixed order, so results do not depend on the number of threads.
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "fwmc/backend.hpp"
#include "fwmc/errors.hpp"
#include "host/cpu/elementwise.hpp"
#include "host/cpu/normals.hpp"
#include "kernels/shared/activation.cuh"
#include "kernels/shared/chain_ops.cuh"
#include "kernels/shared/conv_index.cuh"
#include "kernels/shared/sampler_math.cuh"

extern "C" void openblas_set_num_threads(int);

namespace fwmc {

namespace {

void blas_gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* A, int lda, const float* B, int ldb,
               float beta, float* C, int ldc) {
  cblas_sgemm(CblasColMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, A, lda, B,
              ldb, beta, C, ldc);
}
void blas_gemm(bool ta, bool tb, int m, int n, int k, double alpha, const double* A, int lda, const double* B, int ldb,
               double beta, double* C, int ldc) {
  cblas_dgemm(CblasColMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, A, lda, B,
              ldb, beta, C, ldc);
}

// Below this many elements (or multiply-adds) a loop runs on one thread: waking the OpenMP team costs more.
constexpr long kParallelWork = 1L << 15;

// Calls f with the activation as a compile-time constant, so each element-wise loop is compiled (and vectorised)
// for one activation instead of switching per element.
template <class F>
void with_activation(int act, F&& f) {
  switch (act) {
    case shared::kRelu:
      return f(std::integral_constant<int, shared::kRelu>{});
    case shared::kErf:
      return f(std::integral_constant<int, shared::kErf>{});
    case shared::kTanh:
      return f(std::integral_constant<int, shared::kTanh>{});
    case shared::kQuadratic:
      return f(std::integral_constant<int, shared::kQuadratic>{});
    default:
      return f(std::integral_constant<int, shared::kLinear>{});
  }
}

// Sums f(j) for j < n in 8 interleaved partial sums combined in a fixed tree. The order does not depend on the
// thread count (results stay bitwise reproducible), and unlike one running sum it has no serial dependency, so
// the compiler vectorises it without fast-math (the per-chain reductions were a quarter of an HMC step).
template <class F>
double lane_sum(long n, F&& f) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  long j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; ++k) s[k] += f(j + k);
  for (int k = 0; j < n; ++j, ++k) s[k] += f(j);
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

// Tiny products (a few hundred multiply-adds) are dominated by BLAS call overhead; a plain loop is faster.
template <class T>
void small_gemm(bool ta, bool tb, int m, int n, int k, T alpha, const T* A, int lda, const T* B, int ldb, T beta, T* C,
                int ldc) {
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      T s = 0;
      for (int p = 0; p < k; ++p)
        s += (ta ? A[p + static_cast<long>(i) * lda] : A[i + static_cast<long>(p) * lda]) *
             (tb ? B[j + static_cast<long>(p) * ldb] : B[p + static_cast<long>(j) * ldb]);
      T& c = C[i + static_cast<long>(j) * ldc];
      c = beta == T(0) ? alpha * s : alpha * s + beta * c;
    }
}
constexpr long kSmallGemm = 2048;
// Columns per BLAS call of a product whose A the whole batch shares.
constexpr int kColumnBlock = 128;

// Calls f(c, j0, len, xi) over tiles of every chain's block, xi = that tile's normals (per-chain key, element
// counter elem0 + j0 ...). Tiles of all chains are spread over the threads, so few chains with many weights
// use every core; the numbers do not depend on the tiling.
template <class F>
void for_each_tile(const ChainBlock& b, F&& f, std::uint64_t seed, std::uint32_t stream) {
  const long tiles = (b.per_chain + cpu::kNormalTile - 1) / cpu::kNormalTile, total = tiles * b.chains;
#pragma omp parallel for schedule(static) if (b.size() > kParallelWork)
  for (long t = 0; t < total; ++t) {
    const int c = static_cast<int>(t / tiles);
    const long j0 = (t % tiles) * cpu::kNormalTile, len = std::min(cpu::kNormalTile, b.per_chain - j0);
    double xi[cpu::kNormalTile];
    cpu::fill_normals(RngKey{seed, b.chain0 + c, stream}, b.elem0 + j0, len, xi);
    f(c, j0, len, xi);
  }
}

template <class T>
class CpuBackend final : public Backend<T> {
 public:
  CpuBackend() {
    // One BLAS thread per call: parallelism comes from OpenMP over batches / column blocks, never nested.
    openblas_set_num_threads(1);
  }
  std::string name() const override { return "cpu"; }

  void* allocate(std::size_t bytes) override {
    void* p = std::aligned_alloc(64, (std::max<std::size_t>(bytes, 1) + 63) / 64 * 64);  // a real block even for 0
    if (!p) throw RuntimeError("cpu backend: out of memory allocating " + std::to_string(bytes) + " bytes");
    return p;
  }
  void release(void* p) override { std::free(p); }
  // Zero bytes may come with null pointers (an empty vector's data()), which memcpy must never see.
  void to_device(void* d, const void* s, std::size_t b) override {
    if (b) std::memcpy(d, s, b);
  }
  void to_host(void* d, const void* s, std::size_t b) override {
    if (b) std::memcpy(d, s, b);
  }
  void copy(void* d, const void* s, std::size_t b) override {
    if (b) std::memcpy(d, s, b);
  }
  void fill_zero(void* d, std::size_t b) override {
    if (b) std::memset(d, 0, b);
  }

  // Every product of a batch is its own BLAS call of the same shape, and a product that shares A across the batch
  // (sa == 0: the data) has its columns in blocks fixed by the shape alone. OpenBLAS rounds a column differently
  // by its position in a call and by the call's width (bench/blas_positions.cpp measures it per kernel set), so
  // a chain's numbers depend on its own operands only, never on the batch or the thread count.
  void gemm_strided(bool ta, bool tb, int m, int n, int k, T alpha, const T* A, int lda, long sa, const T* B, int ldb,
                    long sb, T beta, T* C, int ldc, long sc, int batch) override {
    const long work = static_cast<long>(m) * n * k;
    if (work <= kSmallGemm) {
#pragma omp parallel for schedule(static) if (work * batch > kParallelWork)
      for (int i = 0; i < batch; ++i)
        small_gemm(ta, tb, m, n, k, alpha, A + i * sa, lda, B + i * sb, ldb, beta, C + i * sc, ldc);
      return;
    }
    // A shared A is packed once per block: blocks let a few wide products (the first layer of few chains) use
    // every thread without cutting the per-chain products that already spread over the threads.
    const int blk = sa == 0 ? kColumnBlock : n, blocks = (n + blk - 1) / blk;
    const long items = static_cast<long>(batch) * blocks;
#pragma omp parallel for schedule(static) if (work * batch > kParallelWork)
    for (long t = 0; t < items; ++t) {
      const long i = t / blocks;
      const int j0 = static_cast<int>(t % blocks) * blk, nj = std::min(blk, n - j0);
      blas_gemm(ta, tb, m, nj, k, alpha, A + i * sa, lda, B + i * sb + (tb ? j0 : static_cast<long>(j0) * ldb), ldb,
                beta, C + i * sc + static_cast<long>(j0) * ldc, ldc);
    }
  }

  void activation_forward(int act, long n, const T* z, T* h) override {
    if (act == shared::kLinear) {  // a copy: not an element-wise switch per value
      std::memcpy(h, z, sizeof(T) * static_cast<std::size_t>(n));
      return;
    }
    with_activation(act, [&](auto a) {
#pragma omp parallel for schedule(static) if (n > kParallelWork)
      for (long i = 0; i < n; ++i) h[i] = shared::act_forward<T>(a, z[i]);
    });
  }
  void activation_backward(int act, long n, const T* z, T* dz) override {
    if (act == shared::kLinear) return;
    with_activation(act, [&](auto a) {
#pragma omp parallel for schedule(static) if (n > kParallelWork)
      for (long i = 0; i < n; ++i) dz[i] *= shared::act_derivative<T>(a, z[i]);
    });
  }
  void residual(int P, int N, int nd, int chains, const T* f, const T* y, T beta, T* dF, double* loss) override {
    const long per = static_cast<long>(N) * nd;
#pragma omp parallel for schedule(static) if (per * chains > kParallelWork)
    for (int c = 0; c < chains; ++c) {
      loss[c] = lane_sum(
          per, [&](long e) { return shared::residual_term<T>(e, P, N, f[c * per + e], y, beta, dF[c * per + e]); });
    }
  }
  void add_prior(const ChainBlock& b, const T* th, double inv_s2, T* g, double* energy) override {
#pragma omp parallel for schedule(static) if (b.size() > kParallelWork)
    for (int c = 0; c < b.chains; ++c) {
      const long o = c * b.per_chain;
      const double e = cpu::prior_gradient(b.per_chain, th + o, inv_s2, g + o);
      energy[c] += 0.5 * inv_s2 * e;
    }
  }
  void langevin_propose(const ChainBlock& b, const T* th, const T* g, const double* step, std::uint64_t seed,
                        std::uint32_t stream, T* out) override {
    for_each_tile(
        b,
        [&](int c, long j0, long len, const double* xi) {
          const long o = c * b.per_chain + j0;
          const T h = static_cast<T>(step[c]);
          for (long j = 0; j < len; ++j)
            out[o + j] = shared::langevin_proposal<T>(th[o + j], g[o + j], h, static_cast<T>(xi[j]));
        },
        seed, stream);
  }
  void mala_q(const ChainBlock& b, const T* to, const T* from, const T* gf, const double* step, double* acc) override {
#pragma omp parallel for schedule(static) if (b.size() > kParallelWork)
    for (int c = 0; c < b.chains; ++c) {
      const long o = c * b.per_chain;
      const T h = static_cast<T>(step[c]);
      acc[c] +=
          lane_sum(b.per_chain, [&](long j) { return shared::mala_q_term<T>(to[o + j], from[o + j], gf[o + j], h); });
    }
  }
  void normal_scaled(const ChainBlock& b, double scale, std::uint64_t seed, std::uint32_t stream, T* out) override {
    for_each_tile(
        b,
        [&](int c, long j0, long len, const double* xi) {
          const long o = c * b.per_chain + j0;
          for (long j = 0; j < len; ++j) out[o + j] = static_cast<T>(scale * xi[j]);
        },
        seed, stream);
  }
  void kick(const ChainBlock& b, const T* g, const double* step, double frac, T* p) override {
#pragma omp parallel for schedule(static) if (b.size() > kParallelWork)
    for (int c = 0; c < b.chains; ++c) {
      const long o = c * b.per_chain;
      const T h = static_cast<T>(step[c]);
      cpu::kick_n(b.per_chain, g + o, T(frac) * h, p + o);  // p - (frac h) g, as shared::leapfrog_kick
    }
  }
  void kick_drift(const ChainBlock& b, const T* g, const double* step, int halves, double inv_mass, T* p, const T* th,
                  T* out) override {
#pragma omp parallel for schedule(static) if (b.size() > kParallelWork)
    for (int c = 0; c < b.chains; ++c) {
      const long o = c * b.per_chain;
      const T h = static_cast<T>(step[c]);
      cpu::kick_drift_n(b.per_chain, g + o, T(0.5) * h, halves, h, T(inv_mass), p + o, th + o, out + o);
    }
  }
  void sum_squares(const ChainBlock& b, const T* x, double w, double* acc) override {
#pragma omp parallel for schedule(static) if (b.size() > kParallelWork)
    for (int c = 0; c < b.chains; ++c) {
      const long o = c * b.per_chain;
      acc[c] += w * cpu::sum_squares_n(b.per_chain, x + o);
    }
  }
  void select(const ChainBlock& b, const std::uint8_t* take, const T* src, T* dst) override {
#pragma omp parallel for schedule(static) if (b.size() > kParallelWork)
    for (int c = 0; c < b.chains; ++c) {
      const long o = c * b.per_chain;
      for (long j = 0; j < b.per_chain; ++j) shared::select_at<T>(take[c] != 0, src[o + j], dst[o + j]);
    }
  }
  void accumulate(long n, const T* src, double scale, double* acc) override {
#pragma omp parallel for schedule(static) if (n > kParallelWork)
    for (long i = 0; i < n; ++i) acc[i] += scale * static_cast<double>(src[i]);
  }
  void chain_dot(int rows, int cols, int chains, const T* A, int lda, long sa, const T* B, int ldb, long sb,
                 double* out) override {
    const long work = static_cast<long>(chains) * rows * cols;
#pragma omp parallel for schedule(static) if (work > kParallelWork)
    for (int c = 0; c < chains; ++c) {
      double s = 0;
      for (int j = 0; j < cols; ++j)
        s += lane_sum(rows, [&](long i) {
          return shared::product_at<T>(A[c * sa + i + static_cast<long>(j) * lda],
                                       B[c * sb + i + static_cast<long>(j) * ldb]);
        });
      out[c] = s;
    }
  }
  void im2col(int N, int D, int S, int cin, int chains, const int* nb, const T* in, T* out) override {
    const long per_in = static_cast<long>(D) * N * cin, per_out = per_in * S;
#pragma omp parallel for schedule(static) if (per_out * chains > kParallelWork)
    for (int c = 0; c < chains; ++c)
      for (long e = 0; e < per_out; ++e)
        out[c * per_out + e] = in[c * per_in + shared::im2col_source(e, N, D, cin, S, nb)];
  }
  void col2im(int N, int D, int S, int cin, int chains, const int* inv, const T* in, T* out) override {
    const long per_out = static_cast<long>(D) * N * cin, per_in = per_out * S;
#pragma omp parallel for schedule(static) if (per_in * chains > kParallelWork)
    for (int c = 0; c < chains; ++c)
      for (long e = 0; e < per_out; ++e) {
        T acc = 0;
        for (int s = 0; s < S; ++s) acc += in[c * per_in + shared::col2im_source(e, s, N, D, cin, S, inv)];
        out[c * per_out + e] = acc;
      }
  }
  void stein_field(const shared::SteinFieldArgs<T>& A) override {
    const int pairs = A.M * (A.M + 1) / 2;
    const long items = static_cast<long>(A.chains) * pairs, MM = static_cast<long>(A.M) * A.M;
#pragma omp parallel for schedule(static) if (items * A.n > kParallelWork / 16)
    for (long t = 0; t < items; ++t) {
      const int c = static_cast<int>(t / pairs);
      const shared::PairSetup q = shared::stein_pair_setup(A, c, static_cast<int>(t % pairs));
      const double mean =
          q.kind == shared::kPairZero || A.n == 0
              ? 0.0
              : lane_sum(A.n, [&](long i) { return shared::stein_unit_term(A, A.u, A.s, q, c, i); }) / A.n;
      const double v = q.base + q.scale * mean;
      A.out[c * MM + q.a + static_cast<long>(q.b) * A.M] = v;
      A.out[c * MM + q.b + static_cast<long>(q.a) * A.M] = v;
    }
  }
  void field_correction(const shared::FieldCorrectionArgs<T>& A) override {
    const long MM = static_cast<long>(A.M) * A.M;
    // Each entry reads only itself from out (and sigma, prev): in place.
#pragma omp parallel for schedule(static) if (A.chains * MM > kParallelWork)
    for (long t = 0; t < A.chains * MM; ++t)
      A.out[t] = shared::field_corrected(A, A.sigma, A.prev, static_cast<int>(t / MM), t % MM);
  }
  void group_moments(long E, int chains, int groups, const double* src, double* sum, double* sum2) override {
    if (groups <= 0) return;
    const int cg = chains / groups;
#pragma omp parallel for schedule(static) if (static_cast <long>(chains) * E > kParallelWork)
    for (long t = 0; t < groups * E; ++t) {
      const long g = t / E, e = t % E;
      double s1 = 0, s2 = 0;
      for (int c = 0; c < cg; ++c) {
        const double x = src[(g * cg + c) * E + e];
        s1 += x;
        s2 += x * x;
      }
      if (sum) sum[t] += s1;
      sum2[t] += s2;
    }
  }
  void nonfinite(const ChainBlock& b, const T* x, std::uint8_t* flag) override {
#pragma omp parallel for schedule(static) if (b.size() > kParallelWork)
    for (int c = 0; c < b.chains; ++c) {
      const long o = c * b.per_chain;
      bool bad = false;
      for (long j = 0; j < b.per_chain; ++j) bad |= shared::nonfinite_at<T>(x[o + j]);
      if (bad) flag[c] = 1;
    }
  }
};

}  // namespace

template <class T>
std::unique_ptr<Backend<T>> make_cpu_backend() {
  return std::make_unique<CpuBackend<T>>();
}
template std::unique_ptr<Backend<float>> make_cpu_backend<float>();
template std::unique_ptr<Backend<double>> make_cpu_backend<double>();

#ifndef FWMC_WITH_CUDA
template <class T>
std::unique_ptr<Backend<T>> make_cuda_backend(int) {
  throw RuntimeError("this build of fwmc has no CUDA backend");
}
template std::unique_ptr<Backend<float>> make_cuda_backend<float>(int);
template std::unique_ptr<Backend<double>> make_cuda_backend<double>(int);
#endif

}  // namespace fwmc
