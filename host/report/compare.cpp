#include "fwmc/compare.hpp"

#include <cmath>

namespace fwmc {

void frob_with_se(const std::vector<double>& a, const std::vector<double>& se, double& norm, double& norm_se) {
  double s = 0;
  for (double x : a) s += x * x;
  norm = std::sqrt(s);
  double v = 0;
  if (norm > 0)
    for (std::size_t i = 0; i < a.size(); ++i) v += std::pow(a[i] / norm * se[i], 2);
  norm_se = std::sqrt(v);
}

LayerComparison compare_layer(const LayerTheory& t, const KernelEstimate& e) {
  LayerComparison c;
  c.layer = t.layer;
  c.has_theory = t.has_theory;
  const std::size_t n = e.mean.v.size();
  std::vector<double> dexp(n), zero(n, 0.0);
  double m2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    dexp[i] = e.mean.v[i] - t.nngp.v[i];
    m2 += e.mcse.v[i] * e.mcse.v[i];
  }
  c.frob_mcse = std::sqrt(m2);
  frob_with_se(dexp, e.mcse.v, c.frob_dK_exp, c.frob_dK_exp_se);
  for (std::size_t i = 0; i < n; ++i)
    if (e.mcse.v[i] > 0) c.max_abs_z_nngp = std::max(c.max_abs_z_nngp, std::abs(dexp[i]) / e.mcse.v[i]);
  if (!t.has_theory) return c;
  const bool th_mc = !t.theory_se.v.empty();
  std::vector<double> dth(n), resid(n), se_comb(n);
  for (std::size_t i = 0; i < n; ++i) {
    dth[i] = t.theory.v[i] - t.nngp.v[i];
    resid[i] = e.mean.v[i] - t.theory.v[i];
    const double sth = th_mc ? t.theory_se.v[i] : 0.0;
    se_comb[i] = std::sqrt(e.mcse.v[i] * e.mcse.v[i] + sth * sth);
    if (se_comb[i] > 0) {
      const double z = resid[i] / se_comb[i];
      c.max_abs_z = std::max(c.max_abs_z, std::abs(z));
      if (e.mean.upper(i)) {
        c.chi2 += z * z;
        ++c.dof;
      }
    }
  }
  frob_with_se(dth, th_mc ? t.theory_se.v : zero, c.frob_dK_th, c.frob_dK_th_se);
  frob_with_se(resid, se_comb, c.frob_exp_minus_th, c.frob_exp_minus_th_se);
  if (c.frob_dK_th > 0) {
    c.rel_err = c.frob_exp_minus_th / c.frob_dK_th;
    c.rel_err_se = c.frob_exp_minus_th_se / c.frob_dK_th;
  }
  return c;
}

}  // namespace fwmc
