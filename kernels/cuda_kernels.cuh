// CUDA kernels of the backend. Each calls the shared per-element math of kernels/shared; per-chain reductions
// use one block per chain with a fixed-order block reduction in double, so results are deterministic.
#pragma once
#include <cub/block/block_reduce.cuh>

#include "kernels/shared/activation.cuh"
#include "kernels/shared/chain_ops.cuh"
#include "kernels/shared/philox.cuh"
#include "kernels/shared/sampler_math.cuh"

namespace fwmc::cuda {

constexpr int kThreads = 256;

template <class F>
__global__ void elementwise(long n, F f) {
  for (long i = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long>(gridDim.x) * blockDim.x)
    f(i);
}

// One block per chain: out[c] = (add ? out[c] : 0) + scale * sum_j f(c, j) for j < per_chain.
template <class F>
__global__ void per_chain_sum(long per_chain, double* out, bool add, double scale, F f) {
  using Reduce = cub::BlockReduce<double, kThreads>;
  __shared__ typename Reduce::TempStorage tmp;
  const int c = blockIdx.x;
  double s = 0;
  for (long j = threadIdx.x; j < per_chain; j += kThreads) s += f(c, j);
  const double total = Reduce(tmp).Sum(s);
  if (threadIdx.x == 0) out[c] = add ? out[c] + scale * total : scale * total;
}

// One block per chain: per-chain elementwise work that needs the chain index.
template <class F>
__global__ void per_chain_map(long per_chain, F f) {
  const int c = blockIdx.x;
  for (long j = threadIdx.x; j < per_chain; j += kThreads) f(c, j);
}

}  // namespace fwmc::cuda
