#include "fwmc/cnn_compare.hpp"

#include <cmath>

namespace fwmc {

namespace {

KernelTensor trace_of(const KernelTensor& k) {
  KernelTensor t(k.N, 1);
  const Eigen::MatrixXd m = k.spatial_trace();
  for (int a = 0; a < k.N; ++a)
    for (int b = 0; b < k.N; ++b) t.at(a, b) = m(a, b);
  return t;
}

}  // namespace

std::vector<LayerComparison> spatial_trace_comparisons(const TheoryResult& th, const RunResult& r) {
  std::vector<LayerComparison> out;
  for (std::size_t l = 0; l < r.spatial_trace.size(); ++l) {
    LayerTheory t;
    t.layer = th.layers[l].layer;
    t.nngp = trace_of(th.layers[l].nngp);
    t.has_theory = th.layers[l].has_theory;
    if (t.has_theory) {
      t.theory = trace_of(th.layers[l].theory);
      if (!th.layers[l].theory_se.v.empty()) {
        // Upper bound on the trace's SE from the per-entry SEs (the diagonal entries' errors are correlated).
        const auto& se = th.layers[l].theory_se;
        t.theory_se = KernelTensor(se.N, 1);
        for (int a = 0; a < se.N; ++a)
          for (int b = 0; b < se.N; ++b) {
            double s = 0;
            for (int i = 0; i < se.D; ++i) s += se.at(a, b, i, i);
            t.theory_se.at(a, b) = s / se.D;
          }
        // The norm's SE is exact from the batches' own traces.
        for (const auto& g : th.layers[l].theory_groups.means) t.theory_groups.means.push_back(trace_of(g));
        t.theory_groups.weights = th.layers[l].theory_groups.weights;
      }
    }
    out.push_back(compare_layer(t, r.spatial_trace[l]));
  }
  return out;
}

std::vector<CnnFormDistance> cnn_form_distances(const ModelSpec& m, const TheoryResult& th, const RunResult& r,
                                                const KernelSelection& sel) {
  std::vector<CnnFormDistance> out;
  if (m.arch == Arch::fcn || m.activation != Activation::linear) return out;
  std::vector<KernelTensor> K0{KernelTensor()};
  for (const auto& lt : th.layers) K0.push_back(lt.nngp);
  const CnnTheoryForms forms = deep_linear_cnn_theory_forms(m, K0, th.phi.phi, static_cast<int>(th.phi.phi.rows()));
  const auto &prop = forms.propagated, &unprop = forms.unpropagated;
  for (std::size_t l = 0; l < r.kernels.size(); ++l) {
    const auto& e = r.kernels[l];
    const KernelTensor pl = restrict_kernel(prop[l], sel), ul = restrict_kernel(unprop[l], sel);
    const KernelTensor k0 = restrict_kernel(K0[l + 1], sel);
    CnnFormDistance d;
    d.layer = static_cast<int>(l) + 1;
    double n2 = 0, dp = 0, du = 0, tp = 0, tu = 0;
    for (std::size_t i = 0; i < e.mean.v.size(); ++i) {
      const double s = e.mcse.v[i], rp = e.mean.v[i] - pl.v[i], ru = e.mean.v[i] - ul.v[i];
      tp += (pl.v[i] - k0.v[i]) * (pl.v[i] - k0.v[i]);
      tu += (ul.v[i] - k0.v[i]) * (ul.v[i] - k0.v[i]);
      n2 += s * s;
      dp += rp * rp;
      du += ru * ru;
      if (s > 0) {
        d.max_z_propagated = std::max(d.max_z_propagated, std::abs(rp) / s);
        d.max_z_unpropagated = std::max(d.max_z_unpropagated, std::abs(ru) / s);
      }
    }
    d.propagated = std::sqrt(dp / n2);
    d.unpropagated = std::sqrt(du / n2);
    d.dK_propagated = std::sqrt(tp);
    d.dK_unpropagated = std::sqrt(tu);
    out.push_back(d);
  }
  return out;
}

}  // namespace fwmc
