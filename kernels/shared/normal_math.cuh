// Standard normal functions in double, one definition for the CPU and CUDA backends: pdf, tail Q, the scaled
// complementary error function erfcx and the Mills ratio R(y) = Q(y) / pdf(y), each stable far in the tails
// (the conditional Stein field evaluates them at |y| up to ~1e4).
#pragma once
#include <cmath>

#include "kernels/shared/hd.cuh"

namespace fwmc::shared {

constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1/sqrt(2 pi)
constexpr double kSqrtHalfPi = 1.2533141373155002512;   // sqrt(pi/2)
constexpr double kInvSqrt2 = 0.70710678118654752440;

FWMC_HD double normal_pdf(double x) { return kInvSqrt2Pi * exp(-0.5 * x * x); }
// Q(x) = P(Z > x), and Phi(x) = P(Z <= x), without cancellation in either tail.
FWMC_HD double normal_sf(double x) { return 0.5 * erfc(x * kInvSqrt2); }
FWMC_HD double normal_cdf(double x) { return 0.5 * erfc(-x * kInvSqrt2); }

// erfcx(x) = exp(x^2) erfc(x). For x >= 26 (where erfc underflows) its asymptotic series, accurate there to
// 2e-13; below, the product, whose relative error x^2 eps is at most 7e-14; for x < 0, 2 exp(x^2) - erfcx(-x).
FWMC_HD double erfcx_(double x) {
  if (x < 0) return 2 * exp(x * x) - erfcx_(-x);
  if (x < 26) return exp(x * x) * erfc(x);
  const double y = 1 / (2 * x * x);
  return 0.56418958354775628695 / x * (1 - y * (1 - 3 * y * (1 - 5 * y * (1 - 7 * y * (1 - 9 * y)))));
}

// The Mills ratio R(y) = Q(y) / pdf(y) = sqrt(pi/2) erfcx(y / sqrt 2): about 1/y for large y, and
// exp(y^2/2) sqrt(2 pi) for very negative y (where it overflows past y ~ -37, like the quantity it is).
FWMC_HD double mills(double y) { return kSqrtHalfPi * erfcx_(y * kInvSqrt2); }

// pdf(g) R(y) = Q(y) exp((y^2 - g^2) / 2) without overflow where |y| <= |g| (the branches that use it).
FWMC_HD double pdf_times_mills(double g, double y) {
  if (y >= 0) return normal_pdf(g) * mills(y);
  return normal_sf(y) * exp(0.5 * (y * y - g * g));
}

// E[relu(t + Z)] = t Phi(t) + pdf(t), stable for very negative t (then pdf(t) (1 - |t| R(|t|)), tiny).
FWMC_HD double relu_gauss_mean(double t) {
  if (t >= -1) return t * normal_cdf(t) + normal_pdf(t);
  return normal_pdf(t) * (1 + t * mills(-t));
}

// Owen's T(h, a) divided by pdf(h), for h >= 0 (relative error below 3e-13, against mpmath). For |a| <= 1:
// (1/sqrt(2 pi)) int_0^a exp(-h^2 t^2 / 2) / (1 + t^2) dt, by 20-point Gauss-Legendre in s = h t over
// [0, min(h a, 9)] (beyond s = 9 the integrand is below e^-40 of its peak); for |a| > 1 the reflection
// T(h, a) = Q(h)/2 + Q(ah)/2 - Q(h) Q(ah) - T(ah, 1/a).
FWMC_HD double owens_t_over_pdf_small(double h, double a) {  // 0 <= a <= 1
  const double x[10] = {0.07652652113349734, 0.22778585114164507, 0.37370608871541955, 0.5108670019508271,
                        0.636053680726515,   0.7463319064601508,  0.8391169718222188,  0.912234428251326,
                        0.9639719272779138,  0.993128599185095};
  const double w[10] = {0.15275338713072628,  0.14917298647260424, 0.1420961093183824,  0.1316886384491769,
                        0.1181945319615186,   0.1019301198172407,  0.08327674157670471, 0.06267204833410879,
                        0.040601429800386446, 0.017614007139150893};
  const bool gauss = h * a > 1e-300;
  const double U = gauss ? (h * a < 9 ? h * a : 9.0) : a;  // in s = h t (or in t when h a is 0)
  double sum = 0;
  for (int k = 0; k < 10; ++k)
    for (int side = -1; side <= 1; side += 2) {
      const double s = 0.5 * U * (1 + side * x[k]);
      sum += w[k] * (gauss ? exp(-0.5 * s * s) / (1 + s * s / (h * h)) : 1 / (1 + s * s));
    }
  return kInvSqrt2Pi * 0.5 * U * sum / (gauss ? h : 1.0);
}

FWMC_HD double owens_t_over_pdf(double h, double a) {
  const double sign = a < 0 ? -1.0 : 1.0;
  a = fabs(a);
  if (a <= 1) return sign * owens_t_over_pdf_small(h, a);
  const double e = exp(-0.5 * (a * a - 1) * h * h);
  return sign * (0.5 * mills(h) + e * (0.5 - normal_sf(h)) * mills(a * h) - e * owens_t_over_pdf_small(a * h, 1 / a));
}

}  // namespace fwmc::shared
