// Index maps of convolutions as GEMMs and the residual term, shared by the CPU and CUDA backends. Per chain,
// activations are (D N x cin) column-major with row i*N + a; patches are (D N x S cin) with column s*cin + b.
#pragma once
#include "kernels/shared/hd.cuh"

namespace fwmc::shared {

// Element e of one chain's patches -> element of that chain's activations it copies (im2col).
FWMC_HD long im2col_source(long e, int N, int D, int cin, int S, const int* nb) {
  const long DN = static_cast<long>(D) * N, row = e % DN, col = e / DN;
  const long i = row / N, a = row % N, s = col / cin, b = col % cin;
  return nb[i * S + s] * static_cast<long>(N) + a + DN * b;
}

// col2im as a gather: element e of one chain's activation gradient sums these S patch elements.
FWMC_HD long col2im_source(long e, int s, int N, int D, int cin, int S, const int* inv) {
  const long DN = static_cast<long>(D) * N, row = e % DN, b = e / DN;
  const long j = row / N, a = row % N;
  return inv[j * S + s] * static_cast<long>(N) + a + DN * (static_cast<long>(s) * cin + b);
}

// Residual of output element e (row a = e % N of an N x n_d block): writes beta r (0 for test rows, a >= P)
// and returns r^2 for the loss.
template <class T>
FWMC_HD double residual_term(long e, int P, int N, const T* f, const T* y, T beta, T* dF) {
  const long a = e % N, j = e / N;
  if (a >= P) { dF[e] = T(0); return 0.0; }
  const T r = f[e] - y[a + j * P];
  dF[e] = beta * r;
  return static_cast<double>(r) * r;
}

}  // namespace fwmc::shared
