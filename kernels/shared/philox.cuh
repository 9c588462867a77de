// Counter-based Philox4x32-10 (Salmon et al. 2011; Random123's constants and round function, hence also
// cuRAND's) and the normals built from it. Keyed by (seed, global chain id) and counted by (stream, element),
// so a chain's random numbers do not depend on threads, batching or device. Tests check it against Random123.
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels/shared/hd.cuh"

namespace fwmc::shared {

struct Philox4 {
  std::uint32_t v[4];
};

FWMC_HD void philox_mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi, std::uint32_t& lo) {
  const std::uint64_t p = static_cast<std::uint64_t>(a) * b;
  hi = static_cast<std::uint32_t>(p >> 32);
  lo = static_cast<std::uint32_t>(p);
}

// Philox4x32-10 of counter {c0..c3} under key {k0, k1}.
FWMC_HD Philox4 philox4x32_10(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3,
                              std::uint32_t k0, std::uint32_t k1) {
  for (int r = 0; r < 10; ++r) {
    std::uint32_t hi0, lo0, hi1, lo1;
    philox_mulhilo(0xD2511F53u, c0, hi0, lo0);
    philox_mulhilo(0xCD9E8D57u, c2, hi1, lo1);
    const std::uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {{c0, c1, c2, c3}};
}

// Where a random number sits: key (seed, chain), counter (stream, block of 4 elements).
struct RngKey {
  std::uint64_t seed = 0;
  std::uint64_t chain = 0;    // global chain id
  std::uint32_t stream = 0;   // step * kStreams + purpose
};

// Uniform in (0, 1], never 0, from 32 random bits.
template <class T>
FWMC_HD T uniform_open0(std::uint32_t x) {
  return (static_cast<T>(x) + T(1)) * T(2.3283064365386963e-10);  // 2^-32
}

// Four raw words for element block `block` of (key, stream).
FWMC_HD Philox4 philox_block(const RngKey& k, std::uint32_t block) {
  return philox4x32_10(block, k.stream, static_cast<std::uint32_t>(k.chain), static_cast<std::uint32_t>(k.chain >> 32),
                       static_cast<std::uint32_t>(k.seed), static_cast<std::uint32_t>(k.seed >> 32));
}

// The four standard normals of element block `block` of (key, stream): Box-Muller on word pairs (0,1), (2,3);
// element 4 b + j is out[j] (cos for even j, sin for odd j). Computed in double so that CPU and GPU agree to
// rounding of the final conversion.
FWMC_HD void normals4(const RngKey& k, std::uint32_t block, double out[4]) {
  const Philox4 r = philox_block(k, block);
  for (int p = 0; p < 2; ++p) {
    const double rad = sqrt(-2.0 * log(uniform_open0<double>(r.v[2 * p])));
    const double ang = 6.283185307179586 * uniform_open0<double>(r.v[2 * p + 1]);
    out[2 * p] = rad * cos(ang);
    out[2 * p + 1] = rad * sin(ang);
  }
}

// Standard normal number `elem` of (key, stream) (one of normals4's outputs).
template <class T>
FWMC_HD T normal_at(const RngKey& k, std::uint64_t elem) {
  const Philox4 r = philox_block(k, static_cast<std::uint32_t>(elem >> 2));
  const int j = static_cast<int>(elem & 3);
  const double rad = sqrt(-2.0 * log(uniform_open0<double>(r.v[j & 2])));
  const double ang = 6.283185307179586 * uniform_open0<double>(r.v[(j & 2) + 1]);
  return static_cast<T>((j & 1) ? rad * sin(ang) : rad * cos(ang));
}

// Calls f(i, xi) for i < n with xi = normal number elem0 + i, four per Philox block (host loops).
template <class F>
inline void for_each_normal(const RngKey& k, std::uint64_t elem0, long n, F&& f) {
  double z[4];
  long i = 0;
  while (i < n) {
    const std::uint64_t e = elem0 + static_cast<std::uint64_t>(i);
    normals4(k, static_cast<std::uint32_t>(e >> 2), z);
    for (int j = static_cast<int>(e & 3); j < 4 && i < n; ++j, ++i) f(i, z[j]);
  }
}

// Stream purposes within one step.
enum : std::uint32_t { kPurposeNoise = 0, kPurposeAccept = 1, kPurposeInit = 2, kPurposes = 4 };

FWMC_HD std::uint32_t stream_of(std::uint64_t step, std::uint32_t purpose) {
  return static_cast<std::uint32_t>(step * kPurposes + purpose);
}

}  // namespace fwmc::shared
