// Counter-based Philox4x32-10 (Salmon et al. 2011; Random123's constants and round function, hence also
// cuRAND's) and the normals built from it. Keyed by (seed, global chain id) and counted by (stream, element),
// so a chain's random numbers do not depend on threads, batching or device. Tests check it against Random123.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

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
FWMC_HD Philox4 philox4x32_10(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3, std::uint32_t k0,
                              std::uint32_t k1) {
  for (int r = 0; r < 10; ++r) {
    std::uint32_t hi0, lo0, hi1, lo1;
    philox_mulhilo(0xD2511F53u, c0, hi0, lo0);
    philox_mulhilo(0xCD9E8D57u, c2, hi1, lo1);
    const std::uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {{c0, c1, c2, c3}};
}

// Where a random number sits: key (seed, chain), counter (stream, block of 4 elements).
struct RngKey {
  std::uint64_t seed = 0;
  std::uint64_t chain = 0;   // global chain id
  std::uint32_t stream = 0;  // step * kStreams + purpose
};

// Uniform in (0, 1], never 0, from 32 random bits.
template <class T>
FWMC_HD T uniform_open0(std::uint32_t x) {
  return (static_cast<T>(x) + T(1)) * T(2.3283064365386963e-10);  // 2^-32
}

// The same number as uniform_open0<double>(x), through a signed conversion (x - 2^31 is exact in int32 and the
// sum exact in double), because unsigned-to-double conversions do not vectorise on x86 before AVX-512.
FWMC_HD double unit_open0(std::uint32_t x) {
  return (static_cast<double>(static_cast<std::int32_t>(x ^ 0x80000000u)) + 2147483649.0) * 2.3283064365386963e-10;
}

// Four raw words for element block `block` of (key, stream).
FWMC_HD Philox4 philox_block(const RngKey& k, std::uint32_t block) {
  return philox4x32_10(block, k.stream, static_cast<std::uint32_t>(k.chain), static_cast<std::uint32_t>(k.chain >> 32),
                       static_cast<std::uint32_t>(k.seed), static_cast<std::uint32_t>(k.seed >> 32));
}

// The bits of a double and back (memcpy on the host, intrinsics on the device).
FWMC_HD std::uint64_t bits_of(double x) {
#ifdef __CUDA_ARCH__
  return static_cast<std::uint64_t>(__double_as_longlong(x));
#else
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
#endif
}
FWMC_HD double double_of(std::uint64_t b) {
#ifdef __CUDA_ARCH__
  return __longlong_as_double(static_cast<long long>(b));
#else
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
#endif
}

// a if pick is 0, b if pick is 1, by masking bits (no branch, so CPU loops stay vectorisable).
FWMC_HD double pick_bits(std::uint64_t pick, double a, double b) {
  const std::uint64_t mask = 0 - pick;
  return double_of((bits_of(a) & ~mask) | (bits_of(b) & mask));
}
// x with its sign flipped if flip is 1.
FWMC_HD double flip_sign(std::uint64_t flip, double x) { return double_of(bits_of(x) ^ (flip << 63)); }

// log(u) for a normal double u > 0: u = m 2^e with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(s), s = (m-1)/(m+1),
// |s| < 0.172, by its odd series to s^23 (truncation below 1e-19). Our own, branch-free arithmetic, so that the
// CPU loops over it vectorise and CPU and GPU compute the same operations.
FWMC_HD double log_unit(double u) {
  const std::uint64_t b = bits_of(u);
  const double m1 = double_of((b & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);  // [1, 2)
  const std::uint64_t big = m1 > 1.4142135623730951;
  const double m = pick_bits(big, m1, 0.5 * m1);
  const double e =
      static_cast<double>(static_cast<std::int32_t>((b >> 52) & 0x7ff) - 1023 + static_cast<std::int32_t>(big));
  const double s = (m - 1.0) / (m + 1.0), s2 = s * s;
  const double p =
      1 + s2 * (1.0 / 3 +
                s2 * (1.0 / 5 +
                      s2 * (1.0 / 7 +
                            s2 * (1.0 / 9 +
                                  s2 * (1.0 / 11 +
                                        s2 * (1.0 / 13 +
                                              s2 * (1.0 / 15 +
                                                    s2 * (1.0 / 17 +
                                                          s2 * (1.0 / 19 + s2 * (1.0 / 21 + s2 * (1.0 / 23)))))))))));
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  return e * ln2_hi + (e * ln2_lo + 2.0 * s * p);
}

// sin and cos of 2 pi v: v = (q + r) / 4 with integer q and |r| <= 1/2, x = r pi/2 in [-pi/4, pi/4], Taylor
// series of sin x to x^19 and cos x to x^20 (truncation below 1e-19), then the quadrant q mod 4.
FWMC_HD void sincos_2pi(double v, double& sn, double& cs) {
  // floor, as 4 v + 1/2 > 0 (a truncation, meant: the rounding lround would do is not wanted here)
  const std::int32_t qi = static_cast<std::int32_t>(4.0 * v + 0.5);  // NOLINT(bugprone-incorrect-roundings)
  const double x = (4.0 * v - static_cast<double>(qi)) * 1.5707963267948966, x2 = x * x;
  const double s =
      x * (1 + x2 * (-1.0 / 6 +
                     x2 * (1.0 / 120 + x2 * (-1.0 / 5040 +
                                             x2 * (1.0 / 362880 +
                                                   x2 * (-1.0 / 39916800 +
                                                         x2 * (1.0 / 6227020800.0 +
                                                               x2 * (-1.0 / 1307674368000.0 +
                                                                     x2 * (1.0 / 355687428096000.0 +
                                                                           x2 * (-1.0 / 121645100408832000.0))))))))));
  const double c =
      1 + x2 * (-0.5 +
                x2 * (1.0 / 24 + x2 * (-1.0 / 720 +
                                       x2 * (1.0 / 40320 +
                                             x2 * (-1.0 / 3628800 +
                                                   x2 * (1.0 / 479001600 +
                                                         x2 * (-1.0 / 87178291200.0 +
                                                               x2 * (1.0 / 20922789888000.0 +
                                                                     x2 * (-1.0 / 6402373705728000.0 +
                                                                           x2 * (1.0 / 2432902008176640000.0))))))))));
  // Quadrant q mod 4 = 0, 1, 2, 3: (sin, cos) = (s, c), (c, -s), (-s, -c), (-c, s).
  const std::uint64_t q = static_cast<std::uint64_t>(qi & 3), odd = q & 1;
  sn = flip_sign(q >> 1, pick_bits(odd, s, c));
  cs = flip_sign(((q + 1) >> 1) & 1, pick_bits(odd, c, s));
}

// Box-Muller on the word pair (a, b): the cos (j even) and sin (j odd) normals.
FWMC_HD void box_muller(std::uint32_t a, std::uint32_t b, double& z_cos, double& z_sin) {
  const double rad = sqrt(-2.0 * log_unit(unit_open0(a)));
  double sn, cs;
  sincos_2pi(unit_open0(b), sn, cs);
  z_cos = rad * cs;
  z_sin = rad * sn;
}

// The four standard normals of element block `block` of (key, stream): Box-Muller on word pairs (0,1), (2,3);
// element 4 b + j is out[j] (cos for even j, sin for odd j). Computed in double so that CPU and GPU agree to
// rounding of the final conversion.
FWMC_HD void normals4(const RngKey& k, std::uint32_t block, double out[4]) {
  const Philox4 r = philox_block(k, block);
  box_muller(r.v[0], r.v[1], out[0], out[1]);
  box_muller(r.v[2], r.v[3], out[2], out[3]);
}

// Standard normal number `elem` of (key, stream) (one of normals4's outputs).
template <class T>
FWMC_HD T normal_at(const RngKey& k, std::uint64_t elem) {
  const Philox4 r = philox_block(k, static_cast<std::uint32_t>(elem >> 2));
  const int j = static_cast<int>(elem & 3);
  double zc, zs;
  box_muller(r.v[j & 2], r.v[(j & 2) + 1], zc, zs);
  return static_cast<T>((j & 1) ? zs : zc);
}

// Stream purposes within one step.
enum : std::uint32_t { kPurposeNoise = 0, kPurposeAccept = 1, kPurposeInit = 2, kPurposeJitter = 3, kPurposes = 4 };

FWMC_HD std::uint32_t stream_of(std::uint64_t step, std::uint32_t purpose) {
  return static_cast<std::uint32_t>(step * kPurposes + purpose);
}

}  // namespace fwmc::shared
