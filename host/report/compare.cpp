#include "fwmc/compare.hpp"

#include <cmath>

namespace fwmc {

namespace {

double frobenius(const std::vector<double>& a) {
  double s = 0;
  for (double x : a) s += x * x;
  return std::sqrt(s);
}

std::vector<double> scaled(const std::vector<double>& a, double c) {
  std::vector<double> out(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = c * a[i];
  return out;
}

}  // namespace

void frob_with_se(const std::vector<double>& a, const std::vector<const GroupMeans*>& sources, double& norm,
                  double& norm_se) {
  norm = frobenius(a);
  norm_se = 0;
  if (norm == 0) return;
  const std::vector<double> u = scaled(a, 1 / norm);
  double v = 0;
  for (const GroupMeans* g : sources) v += std::pow(functional_se(*g, u), 2);
  norm_se = std::sqrt(v);
}

LayerComparison compare_layer(const LayerTheory& t, const KernelEstimate& e) {
  LayerComparison c;
  c.layer = t.layer;
  c.has_theory = t.has_theory;
  const std::size_t n = e.mean.v.size();
  std::vector<double> dexp(n);
  double m2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    dexp[i] = e.mean.v[i] - t.nngp.v[i];
    m2 += e.mcse.v[i] * e.mcse.v[i];
  }
  c.frob_mcse = std::sqrt(m2);
  frob_with_se(dexp, {&e.groups}, c.frob_dK_exp, c.frob_dK_exp_se);
  for (std::size_t i = 0; i < n; ++i)
    if (e.mcse.v[i] > 0) c.max_abs_z_nngp = std::max(c.max_abs_z_nngp, std::abs(dexp[i]) / e.mcse.v[i]);
  if (!t.has_theory) return c;
  const bool th_mc = !t.theory_se.v.empty();
  std::vector<double> dth(n), resid(n), se_comb(n);
  double t2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    dth[i] = t.theory.v[i] - t.nngp.v[i];
    resid[i] = e.mean.v[i] - t.theory.v[i];
    const double sth = th_mc ? t.theory_se.v[i] : 0.0;
    se_comb[i] = std::sqrt(e.mcse.v[i] * e.mcse.v[i] + sth * sth);
    t2 += sth * sth;
    if (se_comb[i] > 0) {
      const double z = resid[i] / se_comb[i];
      c.max_abs_z = std::max(c.max_abs_z, std::abs(z));
      if (e.mean.upper(i)) {
        c.chi2 += z * z;
        ++c.dof;
      }
    }
  }
  c.frob_theory_mcse = std::sqrt(t2);
  // A Monte Carlo theory is a second independent noisy source; a closed form is exact.
  std::vector<const GroupMeans*> th_src, both{&e.groups};
  if (th_mc) {
    th_src.push_back(&t.theory_groups);
    both.push_back(&t.theory_groups);
  }
  frob_with_se(dth, th_src, c.frob_dK_th, c.frob_dK_th_se);
  frob_with_se(resid, both, c.frob_exp_minus_th, c.frob_exp_minus_th_se);
  if (c.frob_dK_th > 0) {
    // rel = ||e - th|| / ||th - K0||: gradient u_r / t in the estimate, -(u_r / t + rel u_t / t) in the theory.
    const double r = c.frob_exp_minus_th, tn = c.frob_dK_th;
    c.rel_err = r / tn;
    if (r == 0) {
      c.rel_err_se = 0;
    } else {
      double v = std::pow(functional_se(e.groups, scaled(resid, 1 / (r * tn))), 2);
      if (th_mc) {
        std::vector<double> g(n);
        for (std::size_t i = 0; i < n; ++i) g[i] = resid[i] / (r * tn) + c.rel_err * dth[i] / (tn * tn);
        v += std::pow(functional_se(t.theory_groups, g), 2);
      }
      c.rel_err_se = std::sqrt(v);
    }
  }
  return c;
}

}  // namespace fwmc
