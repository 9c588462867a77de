#include "host/cpu/elementwise.hpp"

#include "kernels/shared/chain_ops.cuh"
#include "kernels/shared/sampler_math.cuh"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FWMC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FWMC_CLONES
#endif

namespace fwmc::cpu {

namespace {

inline double lanes(const double (&s)[8]) { return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])); }

}  // namespace

template <class T>
FWMC_CLONES double prior_gradient(long n, const T* __restrict th, double inv_s2, T* __restrict g) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  long j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; ++k) s[k] += shared::prior_gradient_at<T>(th[j + k], g[j + k], inv_s2);
  for (int k = 0; j < n; ++j, ++k) s[k] += shared::prior_gradient_at<T>(th[j], g[j], inv_s2);
  return lanes(s);
}

template <class T>
FWMC_CLONES void kick_n(long n, const T* __restrict g, T hf, T* __restrict p) {
  for (long j = 0; j < n; ++j) p[j] = shared::leapfrog_kick<T>(p[j], g[j], hf, T(1));
}

template <class T>
FWMC_CLONES void kick_drift_n(long n, const T* __restrict g, T hf, int halves, T h, T inv_mass, T* __restrict p,
                              const T* th, T* out) {
  // th and out may alias (an in-place drift), so they carry no __restrict; each element is read before written.
  if (halves == 2) {
    for (long j = 0; j < n; ++j) {
      const T q = shared::leapfrog_kick<T>(shared::leapfrog_kick<T>(p[j], g[j], hf, T(1)), g[j], hf, T(1));
      p[j] = q;
      out[j] = shared::leapfrog_drift<T>(th[j], q, h, inv_mass);
    }
  } else {
    for (long j = 0; j < n; ++j) {
      const T q = shared::leapfrog_kick<T>(p[j], g[j], hf, T(1));
      p[j] = q;
      out[j] = shared::leapfrog_drift<T>(th[j], q, h, inv_mass);
    }
  }
}

template <class T>
FWMC_CLONES double sum_squares_n(long n, const T* __restrict x) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  long j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; ++k) s[k] += shared::square_at<T>(x[j + k]);
  for (int k = 0; j < n; ++j, ++k) s[k] += shared::square_at<T>(x[j]);
  return lanes(s);
}

template double prior_gradient<float>(long, const float*, double, float*);
template double prior_gradient<double>(long, const double*, double, double*);
template void kick_n<float>(long, const float*, float, float*);
template void kick_n<double>(long, const double*, double, double*);
template void kick_drift_n<float>(long, const float*, float, int, float, float, float*, const float*, float*);
template void kick_drift_n<double>(long, const double*, double, int, double, double, double*, const double*, double*);
template double sum_squares_n<float>(long, const float*);
template double sum_squares_n<double>(long, const double*);

}  // namespace fwmc::cpu
