// The conditional Stein field of a post-activation kernel (docs/theory.md 12), per unit of a layer: one definition
// for the CPU and CUDA backends. For a pair of inputs (a, b) with pre-activation scales s_a, s_b and correlation
// rho under Sigma = sigma_l^2 K_{l-1}, standardized pre-activations x = u / s and Stein inputs gamma = s_i / s,
// each unit i contributes T_i(a, b) and the per-draw estimate of K_l(a, b) is the mean of T_i over the units.
// Every form below has E[T_i] = E[phi(u_a) phi(u_b)] exactly, at any width:
// - relu: w_1 from a table of its closed form (unit scales; rows theta = acos rho), w_2 and the conditional mean m
//   closed form; the long form with the table's exact derivative, so table error costs variance, never bias.
// - quadratic: the closed forms are polynomials (the degree-2 Hermite field, exact), the short form F + tau.
// - erf, tanh: a field fixed at the NNGP point Sigma* (per pair: a w_1 table; w_2 = phi(u_a) G(mu, sigma', zeta_2)
//   with G a table per activation), long form with the current draw's Sigma through Sigma~ = L*^-1 Sigma L*^-T.
#pragma once
#include <cmath>

#include "kernels/shared/activation.cuh"
#include "kernels/shared/hd.cuh"
#include "kernels/shared/normal_math.cuh"

namespace fwmc::shared {

// A uniform grid x_k = x0 + k h, k < n, with (value, derivative) at each node: cubic Hermite inside, linear
// continuation outside (so the interpolant is C^1 everywhere and f' is its exact derivative).
struct HermiteGrid {
  double x0 = 0, h = 1;
  int n = 0;
};

// nodes[2k], nodes[2k+1]: value and derivative at x_k (float or double storage).
template <class S>
FWMC_HD void hermite_eval(const S* nodes, const HermiteGrid& g, double x, double& f, double& df) {
  const double t0 = (x - g.x0) / g.h;
  if (!(t0 > 0 && t0 < g.n - 1)) {  // written so that a NaN x takes this branch and gives NaN, never an index
    const int k = t0 <= 0 ? 0 : g.n - 1;
    const double d = nodes[2 * k + 1];
    f = static_cast<double>(nodes[2 * k]) + d * (x - (g.x0 + k * g.h));
    df = d;
    return;
  }
  const int k = static_cast<int>(t0);
  const double t = t0 - k, t2 = t * t, t3 = t2 * t;
  const double f0 = nodes[2 * k], d0 = nodes[2 * k + 1] * g.h, f1 = nodes[2 * k + 2], d1 = nodes[2 * k + 3] * g.h;
  f = (2 * t3 - 3 * t2 + 1) * f0 + (t3 - 2 * t2 + t) * d0 + (-2 * t3 + 3 * t2) * f1 + (t3 - t2) * d1;
  df = ((6 * t2 - 6 * t) * f0 + (3 * t2 - 4 * t + 1) * d0 + (-6 * t2 + 6 * t) * f1 + (3 * t2 - 2 * t) * d1) / g.h;
}

// Quintic Hermite on the same grid, nodes (f, f', f'' from the left, f'' from the right) (relu's w_1'' jumps at
// x = 0, a node); linear continuation outside. Values only: the short form needs no derivative.
template <class S>
FWMC_HD double hermite5_value(const S* nodes, const HermiteGrid& g, double x) {
  const double t0 = (x - g.x0) / g.h;
  if (!(t0 > 0 && t0 < g.n - 1)) {  // NaN x: here, as above
    const int k = t0 <= 0 ? 0 : g.n - 1;
    return static_cast<double>(nodes[4 * k]) + nodes[4 * k + 1] * (x - (g.x0 + k * g.h));
  }
  const int k = static_cast<int>(t0);
  const double t = t0 - k, t2 = t * t, t3 = t2 * t, t4 = t3 * t, t5 = t4 * t, h = g.h;
  const S* a = nodes + 4 * k;
  const S* b = a + 4;
  return (1 - 10 * t3 + 15 * t4 - 6 * t5) * a[0] + h * (t - 6 * t3 + 8 * t4 - 3 * t5) * a[1] +
         h * h * (0.5 * t2 - 1.5 * t3 + 1.5 * t4 - 0.5 * t5) * a[3] + (10 * t3 - 15 * t4 + 6 * t5) * b[0] +
         h * (-4 * t3 + 7 * t4 - 3 * t5) * b[1] + h * h * (0.5 * t3 - t4 + 0.5 * t5) * b[2];
}

// relu, unit scales: kappa(rho) = F_ab / (s_a s_b), the arc-cosine kernel.
FWMC_HD double relu_kappa(double rho, double r) {
  return (r + rho * (3.14159265358979323846 - acos(rho))) / (2 * 3.14159265358979323846);
}

// relu, unit scales: the closed-form w_1 (docs/theory.md 12), c = rho / r, k = kappa(rho).
FWMC_HD double relu_w1_exact(double x, double rho, double r, double c, double k) {
  if (x <= 0) return -k * mills(-x);
  return k * mills(x) - rho * (x * normal_cdf(c * x) + 0.5 * mills(x) + owens_t_over_pdf(x, c)) - r * normal_pdf(c * x);
}

// relu, unit scales: S[relu(.)^2], the diagonal field (F = 1/2).
FWMC_HD double relu_diag_field(double x) { return x > 0 ? -(x + 0.5 * mills(x)) : -0.5 * mills(-x); }

// relu, unit scales: w_2 / r (finite as r -> 0), with cx = c x_a and zeta_2 = (x_b - rho x_a) / r.
FWMC_HD double relu_w2_over_r(double xa, double xb, double cx, double z2) {
  if (xa <= 0) return 0;
  if (xb > 0) {
    // (1 - cx R(cx)) pdf(cx) R(zeta_2), written without overflow or cancellation for either sign of cx.
    const double a =
        cx < 0 ? (normal_pdf(cx) - cx * normal_sf(cx)) * mills(z2) : (1 - cx * mills(cx)) * pdf_times_mills(cx, z2);
    return xa * (-1 + a);
  }
  // E[relu(cx + Z)] R(-zeta_2)
  const double b = cx < -1 ? (1 + cx * mills(-cx)) * pdf_times_mills(cx, -z2) : relu_gauss_mean(cx) * mills(-z2);
  return -xa * b;
}

// A relu pair's per-draw parameters (unit scales) and its row blend in the w_1 table.
struct ReluPair {
  double rho, r, c;
  int row;       // rows row and row + 1 of the table
  double blend;  // weight of row + 1
};

// relu, per unit, divided by s_a s_b: m(x_a) - w_1'(x_a) + x_a w_1(x_a) + w_1 gamma_a + (w_2 / r)(gamma_b - rho
// gamma_a) (the long form with the exact w_2 and m, where d_2 w_2 - zeta_2 w_2 = f - m cancels f). The same numbers as
// relu_gauss_mean and relu_w2_over_r, with the pdf and tail of c x_a computed once (two exp and two erfc per unit
// in the common branches; the per-unit cost is what bounds the estimator's share of a run).
template <class S>
FWMC_HD double relu_pair_term(const S* table, const HermiteGrid& g, const ReluPair& p, double xa, double xb, double ga,
                              double gb) {
  double w0, d0, w1, d1;
  hermite_eval(table + static_cast<long>(p.row) * 2 * g.n, g, xa, w0, d0);
  hermite_eval(table + static_cast<long>(p.row + 1) * 2 * g.n, g, xa, w1, d1);
  const double w = w0 + p.blend * (w1 - w0), dw = d0 + p.blend * (d1 - d0);
  double t = xa * w - dw + w * ga;
  if (xa <= 0) return t;  // m = 0 and w_2 = 0 there
  const double cx = p.c * xa, z2 = (xb - p.rho * xa) / p.r;
  const double pdf = normal_pdf(cx), tail = 0.5 * erfc(fabs(cx) * kInvSqrt2);
  const double Q = cx >= 0 ? tail : 1 - tail, Phi = cx >= 0 ? 1 - tail : tail;
  const double mean = cx * Phi + pdf;  // E[relu(cx + Z)]; its cancellation for cx << -1 is below the term's scale
  t += xa * p.r * mean;                // m(x_a)
  double w2r;
  if (xb > 0) {  // x_a (-1 + (1 - cx R(cx)) pdf(cx) R(zeta_2))
    const double a = z2 >= 0 ? (pdf - cx * Q) * mills(z2) : (1 - cx * mills(cx)) * pdf_times_mills(cx, z2);
    w2r = xa * (-1 + a);
  } else {  // -x_a E[relu(cx + Z)] R(-zeta_2)
    const double b = z2 <= 0 ? mean * mills(-z2) : (1 + cx * mills(-cx)) * pdf_times_mills(cx, -z2);
    w2r = -xa * b;
  }
  return t + w2r * (gb - p.rho * ga);
}

// quadratic, per unit, divided by s_a^2 s_b^2: tau = w_1 gamma_a + (w_2 / r)(gamma_b - rho gamma_a), with
// w_1 = -(rho^2 x^3 + (1 + 2 rho^2) x) and w_2 / r = -x_a^2 (rho x_a + x_b); F = 1 + 2 rho^2.
FWMC_HD double quadratic_pair_tau(double rho, double xa, double xb, double ga, double gb) {
  const double w1 = -(rho * rho * xa * xa * xa + (1 + 2 * rho * rho) * xa);
  const double w2r = -xa * xa * (rho * xa + xb);
  return w1 * ga + w2r * (gb - rho * ga);
}
// quadratic diagonal, divided by s^4: S[x^4](x) gamma = -(x^3 + 3 x) gamma; F = 3.
FWMC_HD double quadratic_diag_tau(double x, double g) { return -(x * x * x + 3 * x) * g; }

// erf/tanh: the universal table G(mu, sigma', zeta) = S[t -> phi(mu + sigma' t)](zeta), nodes (value, d/dzeta) in
// float, laid out [sigma'][mu][zeta]; mu and sigma' interpolated linearly (Lipschitz: Stein's identity holds with
// the interpolant's derivative almost everywhere).
struct GTable {
  const float* nodes = nullptr;
  HermiteGrid zeta;
  double mu0 = 0, hmu = 1;
  int nmu = 0, nsig = 0;
};

// G, dG/dzeta and dG/dmu at (mu, zeta) between sigma' slices k and k + 1 (weight ws of k + 1).
FWMC_HD void g_eval(const GTable& t, int k, double ws, double mu, double zeta, double& G, double& Gz, double& Gm) {
  double tm = (mu - t.mu0) / t.hmu;
  tm = tm < 0 ? 0 : (tm > t.nmu - 1 ? t.nmu - 1 : tm);
  int j = static_cast<int>(tm);
  if (j > t.nmu - 2) j = t.nmu - 2;
  const double wm = tm - j;
  const bool inside = (mu - t.mu0) / t.hmu > 0 && (mu - t.mu0) / t.hmu < t.nmu - 1;  // clamped: flat in mu
  double v[2][2], d[2][2];
  for (int s = 0; s < 2; ++s)
    for (int q = 0; q < 2; ++q)
      hermite_eval(t.nodes + (static_cast<long>(k + s) * t.nmu + j + q) * 2 * t.zeta.n, t.zeta, zeta, v[s][q], d[s][q]);
  const double a0 = v[0][0] + wm * (v[0][1] - v[0][0]), a1 = v[1][0] + wm * (v[1][1] - v[1][0]);
  const double b0 = d[0][0] + wm * (d[0][1] - d[0][0]), b1 = d[1][0] + wm * (d[1][1] - d[1][0]);
  G = a0 + ws * (a1 - a0);
  Gz = b0 + ws * (b1 - b0);
  const double m0 = (v[0][1] - v[0][0]) / t.hmu, m1 = (v[1][1] - v[1][0]) / t.hmu;
  Gm = inside ? m0 + ws * (m1 - m0) : 0.0;
}

// An erf/tanh pair's field, fixed at Sigma*: its scales there and where its tables are.
struct FixedPair {
  double sa, sb, rho, r;  // at Sigma*
  int gk;                 // sigma' = sb r between G slices gk and gk + 1, weight gw; gk < 0: no w_2 (field w_1 only)
  double gw;
  long w1;   // offset of the pair's w_1 nodes (Hermite, double)
  int same;  // +1 / -1: input b is input a (or its negative) at Sigma*: a's diagonal field serves the pair
  // relu (layer 1, where Sigma is the data's and fixed): F_ab = s_a s_b kappa, and whether w_1 is evaluated in
  // closed form per unit (nearly collinear inputs, whose w_1 varies faster near 0 than the table resolves) instead
  // of from the quintic table at w1.
  double base;
  int exact;
};

// erf/tanh per unit: the long form f - [tr(Sigma~ grad w) - zeta . w] + w . L*^-1 s, with Sigma~ (s11, s21, s22) =
// L*^-1 Sigma L*^-T for the current draw's Sigma (the identity at layer 1), u and s in actual units.
FWMC_HD double fixed_pair_term(int act, const GTable& gt, const double* w1nodes, const HermiteGrid& xg,
                               const FixedPair& p, double s11, double s21, double s22, double ua, double ub,
                               double sa_i, double sb_i) {
  const double z1 = ua / p.sa, z2 = (ub / p.sb - p.rho * z1) / p.r;
  double w1, d1w1;
  hermite_eval(w1nodes + p.w1, xg, z1, w1, d1w1);
  const double fa = act_forward<double>(act, ua), fb = act_forward<double>(act, ub);
  double w2 = 0, d2w2 = 0, d1w2 = 0;
  if (p.gk >= 0) {
    double G, Gz, Gm;
    g_eval(gt, p.gk, p.gw, p.sb * p.rho * z1, z2, G, Gz, Gm);
    w2 = fa * G;
    d2w2 = fa * Gz;
    d1w2 = p.sa * act_derivative<double>(act, ua) * G + fa * p.sb * p.rho * Gm;
  }
  const double ga = sa_i / p.sa, gb = sb_i / p.sb;
  const double trace = s11 * d1w1 + s21 * d1w2 + s22 * d2w2 - z1 * w1 - z2 * w2;
  return fa * fb - trace + w1 * ga + w2 * (gb - p.rho * ga) / p.r;
}

// erf/tanh diagonal per unit: the 1-D field w(x) = S[phi(s* .)^2] at Sigma*_aa = s*^2, long form with the current
// Sigma_aa / s*^2 = s11 and gamma = s_i / s*.
FWMC_HD double fixed_diag_term(int act, const double* nodes, const HermiteGrid& xg, double s_star, double s11, double u,
                               double gamma) {
  const double x = u / s_star;
  double w, dw;
  hermite_eval(nodes, xg, x, w, dw);
  const double f = act_forward<double>(act, u);
  return f * f - (s11 * dw - x * w) + w * gamma;
}

}  // namespace fwmc::shared
