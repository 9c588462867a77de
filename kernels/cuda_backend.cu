// CudaBackend: cuBLAS strided-batched GEMMs and kernels over the shared per-element math (kernels/shared),
// everything on one stream. Normals come from the same counter-based Philox as the CPU backend, so both
// backends draw the same noise for the same (seed, chain, step, element).
#include <algorithm>
#include <cmath>

#include "fwmc/backend.hpp"
#include "fwmc/devices.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_kernels.cuh"
#include "kernels/cuda_memory.cuh"
#include "kernels/shared/conv_index.cuh"

namespace fwmc {

namespace {

int grid_for(long n) { return static_cast<int>(std::min<long>((n + cuda::kThreads - 1) / cuda::kThreads, 8192L)); }

cublasStatus_t gemm_batched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                            const float* alpha, const float* A, int lda, long sa, const float* B, int ldb, long sb,
                            const float* beta, float* C, int ldc, long sc, int batch) {
  return cublasSgemmStridedBatched(h, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}
cublasStatus_t gemm_batched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                            const double* alpha, const double* A, int lda, long sa, const double* B, int ldb, long sb,
                            const double* beta, double* C, int ldc, long sc, int batch) {
  return cublasDgemmStridedBatched(h, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}

template <class T>
class CudaBackend final : public Backend<T> {
 public:
  CudaBackend() : blas_(stream_.get()) {}
  std::string name() const override { return "cuda"; }

  void* allocate(std::size_t bytes) override {
    void* p = nullptr;
    FWMC_CUDA_CHECK(cudaMalloc(&p, std::max<std::size_t>(bytes, 1)));
    return p;
  }
  void release(void* p) override { cudaFree(p); }
  // No wait: from pageable host memory the copy is staged before the call returns, so the caller may reuse its
  // buffer at once, and the stream orders the copy before every later operation.
  void to_device(void* d, const void* s, std::size_t b) override {
    FWMC_CUDA_CHECK(cudaMemcpyAsync(d, s, b, cudaMemcpyHostToDevice, st()));
  }
  void to_host(void* d, const void* s, std::size_t b) override {
    FWMC_CUDA_CHECK(cudaMemcpyAsync(d, s, b, cudaMemcpyDeviceToHost, st()));
    FWMC_CUDA_CHECK(cudaStreamSynchronize(st()));
  }
  void copy(void* d, const void* s, std::size_t b) override {
    FWMC_CUDA_CHECK(cudaMemcpyAsync(d, s, b, cudaMemcpyDeviceToDevice, st()));
  }
  void fill_zero(void* d, std::size_t b) override { FWMC_CUDA_CHECK(cudaMemsetAsync(d, 0, b, st())); }

  void gemm_strided(bool ta, bool tb, int m, int n, int k, T alpha, const T* A, int lda, long sa, const T* B, int ldb,
                    long sb, T beta, T* C, int ldc, long sc, int batch) override {
    FWMC_CUBLAS_CHECK(gemm_batched(blas_.get(), ta ? CUBLAS_OP_T : CUBLAS_OP_N, tb ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k,
                                   &alpha, A, lda, sa, B, ldb, sb, &beta, C, ldc, sc, batch));
  }

  void activation_forward(int act, long n, const T* z_, T* h) override {
    const auto z = cuda::in(z_);
    launch_elementwise(n, [=] __device__(long i) { h[i] = shared::act_forward<T>(act, z[i]); });
  }
  void activation_backward(int act, long n, const T* z_, T* dz) override {
    if (act == shared::kLinear) return;
    const auto z = cuda::in(z_);
    launch_elementwise(n, [=] __device__(long i) { dz[i] *= shared::act_derivative<T>(act, z[i]); });
  }
  void residual(int P, int N, int nd, int chains, const T* f_, const T* y_, T beta, T* dF, double* loss) override {
    const long per = static_cast<long>(N) * nd;
    const auto f = cuda::in(f_), y = cuda::in(y_);
    sum_per_chain(chains, per, loss, false, 1.0, [=] __device__(int c, long e) {
      return shared::residual_term<T>(e, P, N, f[c * per + e], y, beta, dF[c * per + e]);
    });
  }
  void add_prior(const ChainBlock& b, const T* th_, double inv_s2, T* g, double* energy) override {
    const long per = b.per_chain;
    const auto th = cuda::in(th_);
    sum_per_chain(b.chains, per, energy, true, 0.5 * inv_s2, [=] __device__(int c, long j) {
      const long o = c * per + j;
      return shared::prior_gradient_at<T>(th[o], g[o], inv_s2);
    });
  }
  void langevin_propose(const ChainBlock& b, const T* th_, const T* g_, const double* step_, std::uint64_t seed,
                        std::uint32_t stream, T* out) override {
    const long per = b.per_chain;
    const auto th = cuda::in(th_), g = cuda::in(g_);
    const auto step = cuda::in(step_);
    normals_per_chain(b, seed, stream, [=] __device__(int c, long j, double z) {
      const long o = c * per + j;
      out[o] = shared::langevin_proposal<T>(th[o], g[o], static_cast<T>(step[c]), static_cast<T>(z));
    });
  }
  void mala_q(const ChainBlock& b, const T* to_, const T* from_, const T* gf_, const double* step_,
              double* acc) override {
    const long per = b.per_chain;
    const auto to = cuda::in(to_), from = cuda::in(from_), gf = cuda::in(gf_);
    const auto step = cuda::in(step_);
    sum_per_chain(b.chains, per, acc, true, 1.0, [=] __device__(int c, long j) {
      const long o = c * per + j;
      return shared::mala_q_term<T>(to[o], from[o], gf[o], static_cast<T>(step[c]));
    });
  }
  void normal_scaled(const ChainBlock& b, double scale, std::uint64_t seed, std::uint32_t stream, T* out) override {
    const long per = b.per_chain;
    normals_per_chain(b, seed, stream,
                      [=] __device__(int c, long j, double z) { out[c * per + j] = static_cast<T>(scale * z); });
  }
  void kick(const ChainBlock& b, const T* g_, const double* step_, double frac, T* p) override {
    const long per = b.per_chain;
    const auto g = cuda::in(g_);
    const auto step = cuda::in(step_);
    map_chains(b, [=] __device__(int c, long j) {
      const long o = c * per + j;
      p[o] = shared::leapfrog_kick<T>(p[o], g[o], static_cast<T>(step[c]), T(frac));
    });
  }
  // th may be out (HMC drifts in place after its first leapfrog step), so it is no read-only input.
  void kick_drift(const ChainBlock& b, const T* g_, const double* step_, int halves, double inv_mass, T* p, const T* th,
                  T* out) override {
    const long per = b.per_chain;
    const auto g = cuda::in(g_);
    const auto step = cuda::in(step_);
    map_chains(b, [=] __device__(int c, long j) {
      const long o = c * per + j;
      const T h = static_cast<T>(step[c]);
      T q = p[o];
      for (int k = 0; k < halves; ++k) q = shared::leapfrog_kick<T>(q, g[o], h, T(0.5));
      p[o] = q;
      out[o] = shared::leapfrog_drift<T>(th[o], q, h, T(inv_mass));
    });
  }
  void sum_squares(const ChainBlock& b, const T* x_, double w, double* acc) override {
    const long per = b.per_chain;
    const auto x = cuda::in(x_);
    sum_per_chain(b.chains, per, acc, true, w,
                  [=] __device__(int c, long j) { return shared::square_at<T>(x[c * per + j]); });
  }
  void select(const ChainBlock& b, const std::uint8_t* take_, const T* src_, T* dst) override {
    const long per = b.per_chain;
    const auto take = cuda::in(take_);
    const auto src = cuda::in(src_);
    map_chains(
        b, [=] __device__(int c, long j) { shared::select_at<T>(take[c] != 0, src[c * per + j], dst[c * per + j]); });
  }
  void accumulate(long n, const T* src_, double scale, double* acc) override {
    const auto src = cuda::in(src_);
    launch_elementwise(n, [=] __device__(long i) { acc[i] += scale * static_cast<double>(src[i]); });
  }
  void chain_dot(int rows, int cols, int chains, const T* A_, int lda, long sa, const T* B_, int ldb, long sb,
                 double* out) override {
    const auto A = cuda::in(A_), B = cuda::in(B_);
    sum_per_chain(chains, static_cast<long>(rows) * cols, out, false, 1.0, [=] __device__(int c, long e) {
      const long i = e % rows, j = e / rows;
      return shared::product_at<T>(A[c * sa + i + j * lda], B[c * sb + i + j * ldb]);
    });
  }
  void im2col(int N, int D, int S, int cin, int chains, const int* nb, const T* in_, T* out) override {
    const long per_in = static_cast<long>(D) * N * cin, per_out = per_in * S;
    const auto in = cuda::in(in_);
    launch_elementwise(per_out * chains, [=] __device__(long e) {
      const long c = e / per_out;
      out[e] = in[c * per_in + shared::im2col_source(e % per_out, N, D, cin, S, nb)];
    });
  }
  void col2im(int N, int D, int S, int cin, int chains, const int* inv, const T* in_, T* out) override {
    const long per_out = static_cast<long>(D) * N * cin, per_in = per_out * S;
    const auto in = cuda::in(in_);
    launch_elementwise(per_out * chains, [=] __device__(long e) {
      const long c = e / per_out;
      T acc = 0;
      for (int s = 0; s < S; ++s) acc += in[c * per_in + shared::col2im_source(e % per_out, s, N, D, cin, S, inv)];
      out[e] = acc;
    });
  }
  void nonfinite(const ChainBlock& b, const T* x_, std::uint8_t* flag) override {
    const long per = b.per_chain;
    const auto x = cuda::in(x_);
    map_chains(b, [=] __device__(int c, long j) {
      if (shared::nonfinite_at<T>(x[c * per + j])) flag[c] = 1;
    });
  }

  void field_correction(const shared::FieldCorrectionArgs<T>& A) override {
    const long MM = static_cast<long>(A.M) * A.M;
    // Each entry reads only itself from out (and sigma, prev): in place.
    double* out = A.out;
    const auto sigma = cuda::in(A.sigma);
    const auto prev = cuda::in(A.prev);
    launch_elementwise(A.chains * MM, [=] __device__(long t) {
      out[t] = shared::field_corrected(A, sigma, prev, static_cast<int>(t / MM), t % MM);
    });
  }
  void group_moments(long E, int chains, int groups, const double* src_, double* sum, double* sum2) override {
    if (groups <= 0) return;
    const int cg = chains / groups;
    const auto src = cuda::in(src_);
    launch_elementwise(groups * E, [=] __device__(long t) {
      const long g = t / E, e = t % E;
      double s1 = 0, s2 = 0;
      for (int c = 0; c < cg; ++c) {
        const double x = src[(g * cg + c) * E + e];
        s1 += x;
        s2 += x * x;
      }
      if (sum) sum[t] += s1;
      sum2[t] += s2;
    });
  }
  void stein_field(const shared::SteinFieldArgs<T>& A) override {
    const int pairs = A.M * (A.M + 1) / 2;
    const long items = static_cast<long>(A.chains) * pairs, MM = static_cast<long>(A.M) * A.M;
    if (items <= 0) return;
    if (pair_mean_.size() < static_cast<std::size_t>(items)) pair_mean_ = Buffer<double, T>(*this, items);
    double* mean = pair_mean_.data();
    const auto u = cuda::in(A.u), s = cuda::in(A.s);
    if (A.n > 0) {
      sum_per_chain(static_cast<int>(items), A.n, mean, false, 1.0 / A.n, [=] __device__(int t, long i) {
        const int c = t / pairs;
        return shared::stein_unit_term(A, u, s, shared::stein_pair_setup(A, c, t % pairs), c, i);
      });
    } else {
      fill_zero(mean, sizeof(double) * items);
    }
    const auto means = cuda::in(static_cast<const double*>(mean));
    launch_elementwise(items, [=] __device__(long t) {
      const int c = static_cast<int>(t / pairs);
      const shared::PairSetup q = shared::stein_pair_setup(A, c, static_cast<int>(t % pairs));
      const double v = q.base + q.scale * (q.kind == shared::kPairZero ? 0.0 : means[t]);
      A.out[c * MM + q.a + static_cast<long>(q.b) * A.M] = v;
      A.out[c * MM + q.b + static_cast<long>(q.a) * A.M] = v;
    });
  }

 private:
  cudaStream_t st() const { return stream_.get(); }
  void check_launch() { FWMC_CUDA_CHECK(cudaGetLastError()); }
  template <class F>
  void launch_elementwise(long n, F f) {
    if (n <= 0) return;
    cuda::elementwise<<<grid_for(n), cuda::kThreads, 0, st()>>>(n, f);
    check_launch();
  }
  // Tiles per chain on the 2-D grids: enough blocks over all chains to fill the device (about 1024), no idle tile.
  // A function of the sizes only, so sums come out the same on every device.
  static int tiles_for(long per_chain, int chains) {
    const long need = (per_chain + cuda::kThreads - 1) / cuda::kThreads;
    return static_cast<int>(std::max(1L, std::min(need, 1024L / std::max(chains, 1))));
  }
  // Calls launch(c0, n) for the chains in chunks of at most 65535 (the grid's y limit).
  template <class L>
  static void by_chunks(int chains, L launch) {
    for (int c0 = 0; c0 < chains; c0 += 65535) launch(c0, std::min(65535, chains - c0));
  }
  // out[c] = (add ? out[c] : 0) + scale * sum_j f(c, j): per-tile block sums, then each chain's tiles in order.
  template <class F>
  void sum_per_chain(int chains, long per_chain, double* out, bool add, double scale, F f) {
    if (chains <= 0) return;
    const int tiles = tiles_for(per_chain, chains);
    by_chunks(chains, [&](int c0, int n) {
      double* partial = scratch(static_cast<std::size_t>(n) * tiles);
      cuda::per_chain_partials<<<dim3(tiles, n), cuda::kThreads, 0, st()>>>(per_chain, c0, partial, f);
      check_launch();
      cuda::per_chain_total<<<(n + cuda::kThreads - 1) / cuda::kThreads, cuda::kThreads, 0, st()>>>(
          n, tiles, partial, out + c0, add, scale);
      check_launch();
    });
  }
  template <class F>
  void map_chains(const ChainBlock& b, F f) {
    if (b.chains <= 0 || b.per_chain <= 0) return;
    const int tiles = tiles_for(b.per_chain, b.chains);
    by_chunks(b.chains, [&](int c0, int n) {
      cuda::per_chain_map<<<dim3(tiles, n), cuda::kThreads, 0, st()>>>(b.per_chain, c0, f);
      check_launch();
    });
  }
  // f(c, j, z) with z the chain's normal number elem0 + j, one thread per Philox block of four.
  template <class F>
  void normals_per_chain(const ChainBlock& b, std::uint64_t seed, std::uint32_t stream, F f) {
    if (b.chains <= 0 || b.per_chain <= 0) return;
    const int tiles = tiles_for((b.per_chain + 3) / 4 + 1, b.chains);
    by_chunks(b.chains, [&](int c0, int n) {
      cuda::per_chain_normals<<<dim3(tiles, n), cuda::kThreads, 0, st()>>>(b.per_chain, b.elem0, c0, seed, b.chain0,
                                                                           stream, f);
      check_launch();
    });
  }
  // Device scratch of at least n doubles (per-tile partial sums), grown when needed.
  double* scratch(std::size_t n) {
    if (scratch_.size() < n) scratch_ = Buffer<double, T>(*this, n);
    return scratch_.data();
  }

  cuda::Stream stream_;
  cuda::CublasHandle blas_;
  Buffer<double, T> scratch_;
  Buffer<double, T> pair_mean_;  // stein_field's per (chain, pair) unit means
};

}  // namespace

template <class T>
std::unique_ptr<Backend<T>> make_cuda_backend(int ordinal) {
  const int n = static_cast<int>(cuda_devices().size());
  if (n == 0) throw RuntimeError("no CUDA device is available");
  FWMC_CUDA_CHECK(cudaSetDevice(ordinal % n));  // MPI: one GPU per rank on a node, by local rank
  return std::make_unique<CudaBackend<T>>();
}
template std::unique_ptr<Backend<float>> make_cuda_backend<float>(int);
template std::unique_ptr<Backend<double>> make_cuda_backend<double>(int);

}  // namespace fwmc
