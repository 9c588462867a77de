// Stein kernel estimators from accumulated group sums (docs/theory.md 11). Everything here is linear in the group
// sums except the cross-fitted control variates, so the deep linear recursion K~_l = sigma_l^2 A K~_{l-1} -
// (sigma_l^2 / n_l) sym R_l runs on the sums directly (K~_0 = count_g K_0) and the group spread stays the MCSE.
#include <algorithm>
#include <cmath>
#include <limits>

#include "fwmc/errors.hpp"
#include "fwmc/stein_estimator.hpp"

namespace fwmc {

std::size_t GroupSums::entries() const { return KernelTensor(N, D, diag).v.size(); }

KernelTensor GroupSums::group(int k, int g) const {
  KernelTensor t(N, D, diag);
  std::copy_n(sums[k].begin() + static_cast<long>(g) * t.v.size(), t.v.size(), t.v.begin());
  return t;
}

namespace {

using Sums = std::vector<double>;

// sym R: (R(a i, b j) + R(b j, a i)) / 2, per group.
Sums symmetrize(const Sums& r, const GroupSums& s) {
  const KernelTensor t(s.N, s.D, s.diag);
  const std::size_t E = t.v.size();
  Sums out(r.size());
  for (int g = 0; g < s.groups; ++g)
    for (int a = 0; a < s.N; ++a)
      for (int b = 0; b < s.N; ++b)
        for (int i = 0; i < s.D; ++i)
          for (int j = s.diag ? i : 0; j < (s.diag ? i + 1 : s.D); ++j)
            out[g * E + t.index(a, b, i, j)] = 0.5 * (r[g * E + t.index(a, b, i, j)] + r[g * E + t.index(b, a, j, i)]);
  return out;
}

// The window average A per group (identity for fcn).
Sums window(const ModelSpec& m, const Sums& x, const GroupSums& s) {
  if (m.positions() == 1) return x;
  const std::size_t E = s.entries();
  Sums out(x.size());
  for (int g = 0; g < s.groups; ++g) {
    KernelTensor t(s.N, s.D, s.diag);
    std::copy_n(x.begin() + g * E, E, t.v.begin());
    const KernelTensor w = apply_window(m, t);
    std::copy(w.v.begin(), w.v.end(), out.begin() + g * E);
  }
  return out;
}

// a x + b y, elementwise.
Sums axpby(double a, const Sums& x, double b, const Sums& y) {
  Sums out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = a * x[i] + b * y[i];
  return out;
}

KernelEstimate estimate(const Sums& sums, const GroupSums& s) {
  return estimate_from_groups(sums, s.groups, s.N, s.D, s.counts, s.diag);
}

// Largest |mean / MCSE| and chi2 of an estimate whose exact mean is 0.
void zero_check(const KernelEstimate& e, double& max_z, double& chi2, long& dof) {
  max_z = chi2 = 0;
  dof = 0;
  for (std::size_t i = 0; i < e.mean.v.size(); ++i) {
    if (!(e.mcse.v[i] > 0)) continue;
    const double z = e.mean.v[i] / e.mcse.v[i];
    max_z = std::max(max_z, std::abs(z));
    if (e.mean.upper(i)) {
      chi2 += z * z;
      ++dof;
    }
  }
}

void mcse_ratios(const KernelEstimate& plain, const KernelEstimate& stein, SteinReport& r) {
  std::vector<double> ratio;
  double sp = 0, ss = 0;
  for (std::size_t i = 0; i < plain.mcse.v.size(); ++i) {
    sp += plain.mcse.v[i] * plain.mcse.v[i];
    ss += stein.mcse.v[i] * stein.mcse.v[i];
    if (plain.mcse.v[i] > 0 && stein.mcse.v[i] > 0) ratio.push_back(plain.mcse.v[i] / stein.mcse.v[i]);
  }
  const double inf = std::numeric_limits<double>::infinity();
  r.mcse_ratio_frob = ss > 0 ? std::sqrt(sp / ss) : inf;
  if (ratio.empty()) {
    r.mcse_ratio_median = inf;  // zero-variance Stein estimate (beta = 0)
    return;
  }
  std::nth_element(ratio.begin(), ratio.begin() + ratio.size() / 2, ratio.end());
  r.mcse_ratio_median = ratio[ratio.size() / 2];
}

SteinLayer make_layer(const std::string& kind, const Sums& plain, Sums stein, const GroupSums& s) {
  SteinLayer out;
  out.plain = estimate(plain, s);
  out.stein = estimate(stein, s);
  out.report.kind = kind;
  mcse_ratios(out.plain, out.stein, out.report);
  agreement(plain, stein, s, out.report.agree_max_z, out.report.agree_chi2, out.report.agree_dof);
  out.stein_sums = std::move(stein);
  return out;
}

// Cross-fitted control-variate estimate: every entry corrected with zero-mean statistics of the same entry
// (covs, in order of preference; as many as the live groups can fit: a few groups per coefficient).
Sums control_variate_sums(const Sums& target, std::vector<const Sums*> covs, const GroupSums& s) {
  const std::size_t E = s.entries();
  int live = 0;
  for (double n : s.counts) live += n > 0;
  covs.resize(std::min<std::size_t>(covs.size(), static_cast<std::size_t>(std::max(0, (live - 1) / 6))));
  Sums out(target.size(), 0.0);
  std::vector<double> y(s.groups);
  std::vector<std::vector<double>> xs(covs.size(), std::vector<double>(s.groups));
  for (std::size_t i = 0; i < E; ++i) {
    for (int g = 0; g < s.groups; ++g) {
      const double n = s.counts[g];
      y[g] = n > 0 ? target[g * E + i] / n : 0.0;
      for (std::size_t j = 0; j < covs.size(); ++j) xs[j][g] = n > 0 ? (*covs[j])[g * E + i] / n : 0.0;
    }
    const std::vector<double> corrected = cross_fitted(y, xs, s.counts);
    for (int g = 0; g < s.groups; ++g)
      if (s.counts[g] > 0) out[g * E + i] = corrected[g] * s.counts[g];
  }
  return out;
}

}  // namespace

void agreement(const Sums& a, const Sums& b, const GroupSums& s, double& max_z, double& chi2, long& dof) {
  zero_check(estimate(axpby(1, a, -1, b), s), max_z, chi2, dof);
}

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// Per entry, the variance of single draws of an estimator from its sums and sums of squares over all groups.
std::vector<double> per_draw_variance(const Sums& x, const Sums& x2, const GroupSums& s) {
  const std::size_t E = s.entries();
  double n = 0;
  for (double c : s.counts) n += c;
  std::vector<double> v(E, 0.0);
  for (std::size_t i = 0; i < E; ++i) {
    double m = 0, m2 = 0;
    for (int g = 0; g < s.groups; ++g) m += x[g * E + i], m2 += x2[g * E + i];
    v[i] = m2 / n - (m / n) * (m / n);
  }
  return v;
}

// The per-draw spread ratio plain / field, and each estimator's effective draws (per-draw variance / MCSE^2), as
// medians over entries.
void spread_and_ess(const SteinLayer& l, const std::vector<double>& vp, const std::vector<double>& vf, SteinReport& r) {
  std::vector<double> ratio, ess_p, ess_f;
  for (std::size_t i = 0; i < vp.size(); ++i) {
    if (vp[i] > 0 && vf[i] > 0) ratio.push_back(std::sqrt(vp[i] / vf[i]));
    if (l.plain.mcse.v[i] > 0) ess_p.push_back(vp[i] / (l.plain.mcse.v[i] * l.plain.mcse.v[i]));
    if (l.stein.mcse.v[i] > 0) ess_f.push_back(vf[i] / (l.stein.mcse.v[i] * l.stein.mcse.v[i]));
  }
  r.sd_ratio_median = ratio.empty() ? std::numeric_limits<double>::infinity() : median(ratio);
  r.ess_plain_median = median(ess_p);
  r.ess_stein_median = median(ess_f);
}

}  // namespace

SteinResult stein_estimates(const ModelSpec& m, const KernelTensor& K0, const GroupSums& s) {
  const Statistics& st = s.stats;
  if (!st.stein) throw RuntimeError("stein_estimates: the run did not accumulate the Stein statistics");
  const int L = m.depth();
  const std::size_t E = s.entries();
  if (K0.v.size() != E) throw RuntimeError("stein_estimates: K_0 does not match the accumulated selection");
  // K_0 as a group sum: count_g K_0 (every term of the group sees the same K_0).
  Sums k0(static_cast<std::size_t>(s.groups) * E);
  for (int g = 0; g < s.groups; ++g)
    for (std::size_t i = 0; i < E; ++i) k0[g * E + i] = s.counts[g] * K0.v[i];
  SteinResult res;
  std::vector<Sums> C(L + 1), exact(L + 1);  // C_l (C[L]: the readout's) and, deep linear, K~_l
  exact[0] = k0;
  for (int l = 1; l <= L + 1; ++l) {
    if (l > L && !st.readout) break;
    const double s2 = m.sigma[l - 1] * m.sigma[l - 1], n = l > L ? m.n_out : m.widths[l - 1];
    const Sums R = symmetrize(s.sums[st.R(l)], s);
    const Sums& Kprev = l == 1 ? k0 : s.sums[st.K(l - 1)];
    const Sums& Q = st.preact || l > L ? s.sums[st.Q(l)] : s.sums[st.K(l)];
    // C_l = sigma^2 A K_{l-1} - (sigma^2 / n) sym R_l - Q_l: mean 0 exactly, any phi (the readout: Q = f f^T / n_d).
    const Sums stein_pre = axpby(s2, window(m, Kprev, s), -s2 / n, R);
    C[l - 1] = axpby(1, stein_pre, -1, Q);
    if (l > L) break;
    // Deep linear: Q_l = K_l, and the recursion uses K~_{l-1} for E[K_{l-1}].
    if (!st.preact) exact[l] = axpby(s2, window(m, exact[l - 1], s), -s2 / n, R);
    if (st.preact && l == 1) {
      res.has_preact = true;
      res.preact = make_layer("exact", Q, stein_pre, s);
    }
  }
  for (int l = 1; l <= L; ++l) {
    // Zero-mean covariates of the same entry: this layer's C, the readout's, the other layers'.
    std::vector<const Sums*> covs = {&C[l - 1]};
    if (st.readout) covs.push_back(&C[L]);
    for (int k = 1; k <= L; ++k)
      if (k != l) covs.push_back(&C[k - 1]);
    const Sums& K = s.sums[st.K(l)];
    if (!st.preact) {  // K~_l, further corrected by the other statistics where there are enough groups to fit them
      const bool fit = st.readout || L > 1;
      res.layers.push_back(
          make_layer(fit ? "exact+control_variate" : "exact", K,
                     fit ? control_variate_sums(exact[l], {covs.begin() + 1, covs.end()}, s) : exact[l], s));
    } else if (st.field) {
      // The conditional field (docs/theory.md 12): each draw's K^_l, its deep recursion applied on the backend.
      res.layers.push_back(make_layer("conditional_field", K, s.sums[st.CF(l)], s));
      SteinLayer& f = res.layers.back();
      spread_and_ess(f, per_draw_variance(K, s.sums[st.K2(l)], s),
                     per_draw_variance(s.sums[st.CF(l)], s.sums[st.CF2(l)], s), f.report);
    } else {
      res.layers.push_back(make_layer("control_variate", K, control_variate_sums(K, covs, s), s));
    }
    SteinLayer& out = res.layers[l - 1];
    out.control = estimate(C[l - 1], s);
    zero_check(out.control, out.report.cv_max_z, out.report.cv_chi2, out.report.cv_dof);
  }
  return res;
}

}  // namespace fwmc
