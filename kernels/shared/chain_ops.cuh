// The per-element work of the backends' per-chain ops (fwmc/backend.hpp), written once for both: the CPU loops
// (host/cpu) and the CUDA kernels (kernels/) call these. A backend adds only the loop and, for sums, the reduction:
// the CPU in 8 interleaved lanes, CUDA in a block tree. Each order is fixed (runs repeat bitwise); the two backends
// agree to rounding, not bitwise, since one common order would serialise the GPU's sums.
#pragma once
#include <cmath>

#include "kernels/shared/hd.cuh"

namespace fwmc::shared {

// add_prior at one element: g += theta / sigma^2; returns theta^2 (a chain's sum / (2 sigma^2) is its prior energy).
template <class T>
FWMC_HD double prior_gradient_at(T theta, T& g, double inv_s2) {
  g += static_cast<T>(theta * inv_s2);
  return static_cast<double>(theta) * theta;
}

// sum_squares (kinetic energy, norms) at one element, in double.
template <class T>
FWMC_HD double square_at(T x) {
  return static_cast<double>(x) * x;
}

// chain_dot at one element: A(i,j) B(i,j) in double.
template <class T>
FWMC_HD double product_at(T a, T b) {
  return static_cast<double>(a) * b;
}

// nonfinite at one element.
template <class T>
FWMC_HD bool nonfinite_at(T x) {
#ifdef __CUDA_ARCH__
  return !isfinite(x);
#else
  return !std::isfinite(x);
#endif
}

// select at one element: dst = src where the chain is taken.
template <class T>
FWMC_HD void select_at(bool take, T src, T& dst) {
  if (take) dst = src;
}

// Residual of output element e (row a = e % N of an N x n_d block) whose model output is fe: sets dF = beta r (0 for
// test rows, a >= P) and returns r^2 for the loss. y, the targets, is anything indexable (a pointer, cuda::In).
template <class T, class Y>
FWMC_HD double residual_term(long e, int P, int N, T fe, const Y& y, T beta, T& dF) {
  const long a = e % N, j = e / N;
  if (a >= P) {
    dF = T(0);
    return 0.0;
  }
  const T r = fe - y[a + j * P];
  dF = beta * r;
  return static_cast<double>(r) * r;
}

}  // namespace fwmc::shared
