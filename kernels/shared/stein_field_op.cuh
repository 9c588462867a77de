// Backend::stein_field's operands and its per-pair and per-unit steps, shared by the CPU and CUDA backends: for
// each chain c and pair p = (a <= b) of the M selected inputs, setup(c, p) reads the pair's Sigma and picks its
// form (stein_field.cuh), term(c, p, i) is unit i's contribution, and the estimate is
// out_c(a, b) = base + scale * (1/n) sum_i term(c, p, i), written into both triangles.
#pragma once
#include <cmath>

#include "kernels/shared/hd.cuh"
#include "kernels/shared/stein_field.cuh"

namespace fwmc::shared {

enum : int { kPairRelu, kPairReluFixed, kDiagRelu, kPairQuad, kDiagQuad, kPairFixed, kDiagFixed, kPairZero };

template <class T>
struct SteinFieldArgs {
  int act = 0;  // relu, quadratic, erf or tanh
  int chains = 0, M = 0, n = 0;
  // Pre-activations of the selected rows, unit i of row a of chain c at u[c * stride + a + i * ld], and their
  // Stein inputs at s[c * s_stride + a + i * s_ld].
  const T* u = nullptr;
  const T* s = nullptr;
  long ld = 0, stride = 0, s_ld = 0, s_stride = 0;
  // Sigma = sigma_l^2 K_{l-1} over the selected rows, M x M column-major per chain (sigma_stride 0: shared).
  const T* sigma = nullptr;
  long sigma_stride = 0;
  // relu: w_1's table, rows theta_j = j pi / (relu_rows - 1).
  const double* relu_w1 = nullptr;
  int relu_rows = 0;
  // erf/tanh, and relu at layer 1: the field fixed at Sigma* (at layer 1 Sigma* is Sigma, the data's): per pair
  // (a < b, a major), per input's diagonal table offset and scale, the 1-D nodes of both, and G.
  const FixedPair* fixed = nullptr;
  const long* diag_offset = nullptr;
  const double* diag_scale = nullptr;
  const double* w1_nodes = nullptr;
  GTable g;
  HermiteGrid xg;         // the x grid of every 1-D table (relu rows included)
  double* out = nullptr;  // M x M per chain, column-major (double: a chain far out in the tails can exceed float)
};

// What a pair of one chain needs for its units: its form, the factor and offset of the unit mean, the scales that
// standardize u and s (relu, quadratic) or Sigma~ (erf, tanh).
struct PairSetup {
  int kind = kPairZero, a = 0, b = 0;
  double base = 0, scale = 0, sa = 1, sb = 1;
  double bsign = 1;  // diagonal forms of a pair: b is a (+1) or -a (-1), so gamma = (gamma_a + bsign gamma_b) / 2
  ReluPair relu{0, 1, 0, 0, 0};
  double rho = 0, s11 = 1, s21 = 0, s22 = 1;
};

// Pair p of M(M+1)/2 in order (0,0), (0,1), ..., (0,M-1), (1,1), ...: its rows a <= b.
FWMC_HD void pair_rows(int p, int M, int& a, int& b) {
  a = 0;
  while (p >= M - a) {
    p -= M - a;
    ++a;
  }
  b = a + p;
}
// Index of the off-diagonal pair a < b among the M(M-1)/2 (a major), as the fixed pairs are stored.
FWMC_HD long offdiag_index(int a, int b, int M) { return static_cast<long>(a) * (2 * M - a - 1) / 2 + (b - a - 1); }

// relu at layer 1: the short form F + tau with the exact field at the data's Sigma (from the host, in double).
template <class T>
FWMC_HD PairSetup relu_fixed_setup(const SteinFieldArgs<T>& A, PairSetup q) {
  if (q.a == q.b) {
    q.sa = q.sb = A.diag_scale[q.a];
    q.kind = kDiagRelu, q.base = 0.5 * q.sa * q.sa, q.scale = q.sa * q.sa;
    return q;
  }
  const FixedPair& f = A.fixed[offdiag_index(q.a, q.b, A.M)];
  q.sa = f.sa, q.sb = f.sb;
  if (f.same != 0) {  // identical inputs share the diagonal's field; opposite ones have relu(u) relu(-u) = 0
    if (f.same > 0) q.kind = kDiagRelu, q.base = 0.5 * f.sa * f.sb, q.scale = f.sa * f.sb;
    return q;
  }
  q.kind = kPairReluFixed, q.base = f.base, q.scale = f.sa * f.sb, q.rho = f.rho;
  return q;
}

template <class T>
FWMC_HD PairSetup stein_pair_setup(const SteinFieldArgs<T>& A, int c, int p) {
  PairSetup q;
  pair_rows(p, A.M, q.a, q.b);
  const T* S = A.sigma + c * A.sigma_stride;
  const double saa = S[q.a + static_cast<long>(q.a) * A.M], sbb = S[q.b + static_cast<long>(q.b) * A.M];
  const double sab =
      0.5 * (static_cast<double>(S[q.a + static_cast<long>(q.b) * A.M]) + S[q.b + static_cast<long>(q.a) * A.M]);
  // An input whose pre-activations vanish in this draw (every unit below dead for it, or a zero input) has
  // u_a = 0 in every unit: phi(0) = 0 for every activation with a field, so the pair's estimate is exactly 0.
  if (!(saa > 0) || !(sbb > 0)) return q;
  q.sa = sqrt(saa);
  q.sb = sqrt(sbb);
  const bool fixed = A.act == kErf || A.act == kTanh;
  if (A.act == kRelu && A.fixed) return relu_fixed_setup(A, q);
  if (q.a == q.b) {
    if (fixed) {
      q.kind = kDiagFixed;
      q.scale = 1;
      q.s11 = saa / (A.diag_scale[q.a] * A.diag_scale[q.a]);
    } else if (A.act == kRelu) {
      q.kind = kDiagRelu, q.base = 0.5 * saa, q.scale = saa;
    } else {
      q.kind = kDiagQuad, q.base = 3 * saa * saa, q.scale = saa * saa;
    }
    return q;
  }
  if (fixed) {
    const FixedPair& f = A.fixed[offdiag_index(q.a, q.b, A.M)];
    if (f.same != 0) {  // b is a (or -a, and phi is odd): f = same * phi(u_a)^2
      q.kind = kDiagFixed, q.scale = f.same, q.bsign = f.same;
      q.s11 = saa / (A.diag_scale[q.a] * A.diag_scale[q.a]);
      return q;
    }
    q.kind = kPairFixed;
    q.scale = 1;
    const double a2 = saa / (f.sa * f.sa), b2 = sbb / (f.sb * f.sb), ab = sab / (f.sa * f.sb);
    q.s11 = a2;
    q.s21 = (ab - f.rho * a2) / f.r;
    q.s22 = (f.rho * f.rho * a2 - 2 * f.rho * ab + b2) / (f.r * f.r);
    return q;
  }
  double rho = q.sa > 0 && q.sb > 0 ? sab / (q.sa * q.sb) : 0.0;
  rho = rho > 1 ? 1 : (rho < -1 ? -1 : rho);
  const double r = sqrt((1 - rho) * (1 + rho));
  q.rho = rho;
  if (r < 1e-9) {  // identical inputs (the diagonal's field serves both), or opposite ones
    if (rho > 0) {
      q.kind = A.act == kRelu ? kDiagRelu : kDiagQuad;
      q.base = A.act == kRelu ? 0.5 * q.sa * q.sb : 3 * saa * sbb;
      q.scale = A.act == kRelu ? q.sa * q.sb : saa * sbb;
    } else if (A.act == kQuadratic) {  // u_b = -u_a: f = u_a^4 again, along the reflected direction
      q.kind = kDiagQuad, q.base = 3 * saa * sbb, q.scale = saa * sbb, q.bsign = -1;
    }
    return q;  // relu, opposite: relu(u) relu(-u) = 0, with no variance
  }
  if (A.act == kRelu) {
    q.kind = kPairRelu;
    q.scale = q.sa * q.sb;
    const double theta = acos(rho), h = 3.14159265358979323846 / (A.relu_rows - 1);
    int row = static_cast<int>(theta / h);
    if (row > A.relu_rows - 2) row = A.relu_rows - 2;
    q.relu = ReluPair{rho, r, rho / r, row, theta / h - row};
  } else {
    q.kind = kPairQuad;
    q.base = saa * sbb + 2 * sab * sab;
    q.scale = saa * sbb;
  }
  return q;
}

// The deep recursion's correction (docs/theory.md 12), per chain and entry of the M x M estimates:
// out -= J[Sigma - s2 prev], with Sigma = sigma_l^2 K_{l-1} of this draw and prev = K^_{l-1} of this draw, J =
// dF/dSigma at the layer's NNGP point (row-major a * M + b: the coefficients of Sigma_ab, Sigma_aa and Sigma_bb).
template <class T>
struct FieldCorrectionArgs {
  int chains = 0, M = 0;
  double s2 = 1;
  const double *jab = nullptr, *jaa = nullptr, *jbb = nullptr;
  const T* sigma = nullptr;      // M x M per chain
  const double* prev = nullptr;  // M x M per chain
  double* out = nullptr;         // M x M per chain
};

// The new value of entry e = a + b M of chain c; sigma and prev are read through `in` (a plain pointer on the CPU,
// the read-only path on a GPU), as every input of the unit term below.
template <class T, class In, class InD>
FWMC_HD double field_corrected(const FieldCorrectionArgs<T>& A, In sigma, InD prev, int c, long e) {
  const long MM = static_cast<long>(A.M) * A.M, o = c * MM;
  const int a = static_cast<int>(e % A.M), b = static_cast<int>(e / A.M);
  const long j = static_cast<long>(a) * A.M + b, aa = a + static_cast<long>(a) * A.M,
             bb = b + static_cast<long>(b) * A.M;
  const auto d = [&](long i) { return static_cast<double>(sigma[o + i]) - A.s2 * static_cast<double>(prev[o + i]); };
  const double corr = a == b ? A.jaa[j] * d(aa) : A.jab[j] * d(e) + A.jaa[j] * d(aa) + A.jbb[j] * d(bb);
  return A.out[o + e] - corr;
}

// Unit i's term of pair q in chain c (before the 1/n mean and `scale`); u and s read through `in`.
template <class T, class In>
FWMC_HD double stein_unit_term(const SteinFieldArgs<T>& A, In u, In s, const PairSetup& q, int c, long i) {
  const long o = c * A.stride + i * A.ld, os = c * A.s_stride + i * A.s_ld;
  const double ua = u[o + q.a], ub = u[o + q.b], va = s[os + q.a], vb = s[os + q.b];
  switch (q.kind) {
    case kPairRelu:
      return relu_pair_term(A.relu_w1, A.xg, q.relu, ua / q.sa, ub / q.sb, va / q.sa, vb / q.sb);
    case kPairReluFixed: {
      const FixedPair& f = A.fixed[offdiag_index(q.a, q.b, A.M)];
      const double xa = ua / f.sa, xb = ub / f.sb, ga = va / f.sa, gb = vb / f.sb, c = f.rho / f.r;
      const double w1 = f.exact ? relu_w1_exact(xa, f.rho, f.r, c, relu_kappa(f.rho, f.r))
                                : hermite5_value(A.w1_nodes + f.w1, A.xg, xa);
      return w1 * ga + relu_w2_over_r(xa, xb, c * xa, (xb - f.rho * xa) / f.r) * (gb - f.rho * ga);
    }
    case kDiagRelu:
      return relu_diag_field(ua / q.sa) * 0.5 * (va / q.sa + q.bsign * vb / q.sb);
    case kPairQuad:
      return quadratic_pair_tau(q.rho, ua / q.sa, ub / q.sb, va / q.sa, vb / q.sb);
    case kDiagQuad:
      return quadratic_diag_tau(ua / q.sa, 0.5 * (va / q.sa + q.bsign * vb / q.sb));
    case kPairFixed:
      return fixed_pair_term(A.act, A.g, A.w1_nodes, A.xg, A.fixed[offdiag_index(q.a, q.b, A.M)], q.s11, q.s21, q.s22,
                             ua, ub, va, vb);
    case kDiagFixed: {
      const double st = A.diag_scale[q.a];
      return fixed_diag_term(A.act, A.w1_nodes + A.diag_offset[q.a], A.xg, st, q.s11, ua,
                             0.5 * (va + q.bsign * vb) / st);
    }
    default:
      return 0.0;
  }
}

}  // namespace fwmc::shared
