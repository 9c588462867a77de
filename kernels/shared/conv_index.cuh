// Index maps of convolutions as GEMMs, shared by the CPU and CUDA backends. Per chain,
// activations are (D N x cin) column-major with row i*N + a; patches are (D N x S cin) with column s*cin + b.
#pragma once
#include "kernels/shared/hd.cuh"

namespace fwmc::shared {

// Element e of one chain's patches -> element of that chain's activations it copies (im2col).
FWMC_HD long im2col_source(long e, int N, int D, int cin, int S, const int* __restrict__ nb) {
  const long DN = static_cast<long>(D) * N, row = e % DN, col = e / DN;
  const long i = row / N, a = row % N, s = col / cin, b = col % cin;
  return nb[i * S + s] * static_cast<long>(N) + a + DN * b;
}

// col2im as a gather: element e of one chain's activation gradient sums these S patch elements.
FWMC_HD long col2im_source(long e, int s, int N, int D, int cin, int S, const int* __restrict__ inv) {
  const long DN = static_cast<long>(D) * N, row = e % DN, b = e / DN;
  const long j = row / N, a = row % N;
  return inv[j * S + s] * static_cast<long>(N) + a + DN * (static_cast<long>(s) * cin + b);
}

}  // namespace fwmc::shared
