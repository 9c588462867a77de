// CUDA kernels of the backend. Each calls the shared per-element math of kernels/shared; per-chain reductions
// sum in double in a fixed order (block trees per tile, then the tiles in order), so results are deterministic.
#pragma once
#include <cub/block/block_reduce.cuh>

#include "kernels/shared/activation.cuh"
#include "kernels/shared/chain_ops.cuh"
#include "kernels/shared/philox.cuh"
#include "kernels/shared/sampler_math.cuh"

namespace fwmc::cuda {

constexpr int kThreads = 256;

// A kernel's read-only input: an input no output of the same kernel aliases (in-place operands stay plain
// pointers), loaded through the read-only data path (ld.global.nc). Plain kernels get that from __restrict__
// parameters; the per-chain kernels take their work as device lambdas, whose captured pointers cannot carry
// __restrict__ (nvcc drops it, and a restrict copy inside the lambda is not enough where the kernel also reduces),
// so this wrapper asks for the load explicitly with __ldg. tests/check_ptx_loads.py checks the PTX: every kernel
// that reads global memory has such loads.
template <class T>
struct In {
  const T* p;
  __device__ T operator[](long i) const { return __ldg(p + i); }
};
template <class T>
In<T> in(const T* p) {
  return {p};
}

template <class F>
__global__ void elementwise(long n, F f) {
  for (long i = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long>(gridDim.x) * blockDim.x)
    f(i);
}

// Per-chain work runs on a 2-D grid: blockIdx.y is the chain (of a launch's chunk of at most 65535), blockIdx.x
// one of `tiles` tiles striding over the chain's elements, so a few chains still fill the device.

// Stage 1 of a per-chain sum: partial[c * tiles + tile] = sum over the tile's elements of f(c0 + c, j), reduced in a
// fixed order (a block tree), so the result does not depend on timing.
template <class F>
__global__ void per_chain_partials(long per_chain, int c0, double* partial, F f) {
  using Reduce = cub::BlockReduce<double, kThreads>;
  __shared__ typename Reduce::TempStorage tmp;
  const int c = blockIdx.y, tiles = gridDim.x;
  double s = 0;
  for (long j = blockIdx.x * static_cast<long>(kThreads) + threadIdx.x; j < per_chain;
       j += static_cast<long>(tiles) * kThreads)
    s += f(c0 + c, j);
  const double total = Reduce(tmp).Sum(s);
  if (threadIdx.x == 0) partial[static_cast<long>(c) * tiles + blockIdx.x] = total;
}

// Stage 2: out[c0 + c] = (add ? out : 0) + scale * the chain's partials summed in tile order, one thread per chain.
__global__ inline void per_chain_total(int chains, int tiles, const double* __restrict__ partial,
                                       double* __restrict__ out, bool add, double scale) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= chains) return;
  double s = 0;
  for (int t = 0; t < tiles; ++t) s += partial[static_cast<long>(c) * tiles + t];
  out[c] = add ? out[c] + scale * s : scale * s;
}

// f(c0 + c, j) for every element j of every chain c of the chunk.
template <class F>
__global__ void per_chain_map(long per_chain, int c0, F f) {
  for (long j = blockIdx.x * static_cast<long>(kThreads) + threadIdx.x; j < per_chain;
       j += static_cast<long>(gridDim.x) * kThreads)
    f(c0 + blockIdx.y, j);
}

// One thread per Philox block: the block's four normals (elements 4q .. 4q + 3 of the chain's stream, the chain's
// elements starting at elem0) go to f(c, j, z) for the chain elements j they fall on.
template <class F>
__global__ void per_chain_normals(long per_chain, long elem0, int c0, std::uint64_t seed, std::uint64_t chain0,
                                  std::uint32_t stream, F f) {
  const int c = c0 + blockIdx.y;
  const long q0 = elem0 >> 2, q1 = (elem0 + per_chain - 1) >> 2;
  const shared::RngKey key{seed, chain0 + c, stream};
  for (long q = q0 + blockIdx.x * static_cast<long>(kThreads) + threadIdx.x; q <= q1;
       q += static_cast<long>(gridDim.x) * kThreads) {
    double z[4];
    shared::normals4(key, static_cast<std::uint32_t>(q), z);
    for (int r = 0; r < 4; ++r) {
      const long j = 4 * q + r - elem0;
      if (j >= 0 && j < per_chain) f(c, j, z[r]);
    }
  }
}

}  // namespace fwmc::cuda
