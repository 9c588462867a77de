// The small interface every compute backend implements (CPU: OpenBLAS + OpenMP; CUDA: cuBLAS + kernels).
// Samplers, models and estimators are written once against it. Pointers are backend memory (host memory
// for the CPU backend, device memory for CUDA). Matrices are column-major with cuBLAS's argument conventions.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fwmc/matrix_view.hpp"
#include "kernels/shared/philox.cuh"
#include "kernels/shared/stein_field_op.cuh"

namespace fwmc {

using shared::RngKey;

// A chain-batched block: `chains` consecutive runs of `per_chain` elements (chain c at c * per_chain).
// `elem0` is the block's first element index within a chain's parameter vector (for RNG counters),
// `chain0` the global id of the block's first chain.
struct ChainBlock {
  long per_chain = 0;
  int chains = 0;
  long elem0 = 0;
  std::uint64_t chain0 = 0;
  long size() const { return per_chain * chains; }
};

template <class T>
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  // Memory
  virtual void* allocate(std::size_t bytes) = 0;
  virtual void release(void* p) = 0;
  virtual void to_device(void* dst, const void* src, std::size_t bytes) = 0;
  virtual void to_host(void* dst, const void* src, std::size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, std::size_t bytes) = 0;
  virtual void fill_zero(void* dst, std::size_t bytes) = 0;

  // C_i = alpha op(A_i) op(B_i) + beta C_i for i < batch, on typed views (the shapes are checked).
  void gemm(T alpha, const MatrixBatch<const T>& A, const MatrixBatch<const T>& B, T beta, const MatrixBatch<T>& C,
            int batch = 1) {
    const GemmShape s = gemm_shape(A, B, C);
    gemm_strided(A.transposed, B.transposed, s.m, s.n, s.k, alpha, A.data, A.ld, A.stride, B.data, B.ld, B.stride, beta,
                 C.data, C.ld, C.stride, batch);
  }
  // The same in cuBLAS's strided-batched argument list (strides in elements; stride 0 shares an operand): what a
  // backend implements. Callers use gemm.
  virtual void gemm_strided(bool trans_a, bool trans_b, int m, int n, int k, T alpha, const T* A, int lda,
                            long stride_a, const T* B, int ldb, long stride_b, T beta, T* C, int ldc, long stride_c,
                            int batch) = 0;

  // h = phi(z) over n elements.
  virtual void activation_forward(int act, long n, const T* z, T* h) = 0;
  // dz *= phi'(z) over n elements.
  virtual void activation_backward(int act, long n, const T* z, T* dz) = 0;
  // Per chain: r = f - y over the P training rows of f (N x n_out, ld N) against shared y (P x n_out, ld P);
  // dF = beta r written into f's layout (rows >= P zeroed); loss[c] = sum r^2 (double).
  virtual void residual(int P, int N, int n_out, int chains, const T* f, const T* y, T beta, T* dF, double* loss) = 0;
  // grad += theta / sigma^2; energy[c] += sum theta^2 / (2 sigma^2)   (energy accumulates across layers).
  virtual void add_prior(const ChainBlock& b, const T* theta, double inv_sigma2, T* grad, double* energy) = 0;
  // out = theta - h_c grad + sqrt(2 h_c) xi,  xi = normal(key(seed, chain), stream, elem).
  virtual void langevin_propose(const ChainBlock& b, const T* theta, const T* grad, const double* step,
                                std::uint64_t seed, std::uint32_t stream, T* out) = 0;
  // acc[c] += sum ||to - from + h_c g_from||^2 (one direction of MALA's proposal density).
  virtual void mala_q(const ChainBlock& b, const T* to, const T* from, const T* g_from, const double* step,
                      double* acc) = 0;
  // out = scale * xi (prior draws, HMC momenta with scale = sqrt(mass)).
  virtual void normal_scaled(const ChainBlock& b, double scale, std::uint64_t seed, std::uint32_t stream, T* out) = 0;
  // p -= frac h_c grad
  virtual void kick(const ChainBlock& b, const T* grad, const double* step, double frac, T* p) = 0;
  // The leapfrog's kicks and drift in one pass: `halves` times p -= 0.5 h_c grad (1 at a trajectory's start, 2
  // between steps, where one step's closing half-kick meets the next one's opening), then
  // theta_out = theta_in + h_c p / mass. theta_out may be theta_in.
  virtual void kick_drift(const ChainBlock& b, const T* grad, const double* step, int halves, double inv_mass, T* p,
                          const T* theta_in, T* theta_out) = 0;
  // acc[c] += weight * sum x^2
  virtual void sum_squares(const ChainBlock& b, const T* x, double weight, double* acc) = 0;
  // dst[c] = src[c] for chains with take[c] != 0
  virtual void select(const ChainBlock& b, const std::uint8_t* take, const T* src, T* dst) = 0;
  // acc (double) += scale * src over n elements
  virtual void accumulate(long n, const T* src, double scale, double* acc) = 0;
  // out[c] = sum_{i<rows, j<cols} A_c(i,j) B_c(i,j), column-major with leading dims, per chain.
  virtual void chain_dot(int rows, int cols, int chains, const T* A, int lda, long stride_a, const T* B, int ldb,
                         long stride_b, double* out) = 0;
  // Convolutions as GEMMs. Per chain, `in` is (D N x cin) with row i*N + a; im2col writes the patches
  // (D N x S cin): out(i*N + a, s*cin + b) = in(nb[i*S + s]*N + a, b). col2im is its adjoint as a gather:
  // out(j*N + a, b) = sum_s in(inv[j*S + s]*N + a, s*cin + b), inv[j*S + s] = the i with nb[i*S + s] = j.
  virtual void im2col(int N, int D, int S, int cin, int chains, const int* nb, const T* in, T* out) = 0;
  virtual void col2im(int N, int D, int S, int cin, int chains, const int* inv, const T* in, T* out) = 0;
  // Whether any element is NaN/Inf, per chain: flag[c] = 1 if so.
  virtual void nonfinite(const ChainBlock& b, const T* x, std::uint8_t* flag) = 0;
  // The conditional Stein field's per-draw kernel estimate (docs/theory.md 12): for each chain c and pair a <= b of
  // the a.M selected inputs, a.out_c(a, b) = base + scale (1/n) sum over units of the unit terms
  // (kernels/shared/stein_field_op.cuh), both triangles written.
  virtual void stein_field(const shared::SteinFieldArgs<T>& a) = 0;
  // The deep recursion's correction of those estimates, in place: a.out -= J[Sigma - s2 prev] per chain and entry.
  virtual void field_correction(const shared::FieldCorrectionArgs<T>& a) = 0;
  // Per group g of chains / groups consecutive chains and entry e < E: sum[g E + e] += sum over its chains c of
  // src[c E + e] (unless sum is null), and sum2[g E + e] += the same of src^2.
  virtual void group_moments(long E, int chains, int groups, const double* src, double* sum, double* sum2) = 0;
};

// Move-only owner of backend memory.
template <class E, class T>
class Buffer {
 public:
  Buffer() = default;
  Buffer(Backend<T>& be, std::size_t n) : be_(&be), n_(n) {
    p_ = n ? static_cast<E*>(be.allocate(n * sizeof(E))) : nullptr;
    if (n) be.fill_zero(p_, n * sizeof(E));
  }
  ~Buffer() {
    if (p_) be_->release(p_);
  }
  Buffer(Buffer&& o) noexcept : be_(o.be_), p_(o.p_), n_(o.n_) {
    o.p_ = nullptr;
    o.n_ = 0;
  }
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      if (p_) be_->release(p_);
      be_ = o.be_;
      p_ = o.p_;
      n_ = o.n_;
      o.p_ = nullptr;
      o.n_ = 0;
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  E* data() { return p_; }
  const E* data() const { return p_; }
  std::size_t size() const { return n_; }
  void upload(const std::vector<E>& v) { be_->to_device(p_, v.data(), v.size() * sizeof(E)); }
  std::vector<E> download() const {
    std::vector<E> v(n_);
    if (n_) be_->to_host(v.data(), p_, n_ * sizeof(E));
    return v;
  }

 private:
  Backend<T>* be_ = nullptr;
  E* p_ = nullptr;
  std::size_t n_ = 0;
};

// Backends available in this build. "cpu" always; "cuda" when compiled in and a device answers.
template <class T>
std::unique_ptr<Backend<T>> make_cpu_backend();
template <class T>
std::unique_ptr<Backend<T>> make_cuda_backend(int ordinal = 0);  // device ordinal % count; RuntimeError if none

}  // namespace fwmc
