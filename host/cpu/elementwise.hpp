// The CPU backend's per-chain element-wise passes (the leapfrog's kick and drift, the prior's gradient and
// energy, sums of squares). Built with clones for AVX-512 and AVX2 picked at load time: fwmc is compiled for
// baseline x86-64, where these memory-streaming loops ran scalar. None of the clones contracts a multiply-add
// (no FMA is enabled) and each sum runs in 8 fixed lanes, so every clone gives bitwise the same numbers.
#pragma once

namespace fwmc::cpu {

// g += th * inv_s2 over n elements; returns sum th^2 (8 interleaved lanes, a fixed order).
template <class T>
double prior_gradient(long n, const T* th, double inv_s2, T* g);
// p -= hf * g
template <class T>
void kick_n(long n, const T* g, T hf, T* p);
// halves times p -= hf * g, then out = th + h * p * inv_mass (out may be th)
template <class T>
void kick_drift_n(long n, const T* g, T hf, int halves, T h, T inv_mass, T* p, const T* th, T* out);
// sum x^2 (8 interleaved lanes)
template <class T>
double sum_squares_n(long n, const T* x);

}  // namespace fwmc::cpu
