#include "host/report/theory_output.hpp"

#include <cmath>

#include "fwmc/compare.hpp"

namespace fwmc {

void add_theory_arrays(const TheoryResult& t, std::vector<NamedArray>& out) {
  for (const auto& lt : t.layers) {
    const std::string l = "K" + std::to_string(lt.layer);
    out.push_back({l + "_nngp", lt.nngp.shape(), lt.nngp.v});
    if (lt.has_theory) out.push_back({l + "_theory", lt.theory.shape(), lt.theory.v});
    if (!lt.theory_se.v.empty()) out.push_back({l + "_theory_se", lt.theory_se.shape(), lt.theory_se.v});
  }
}

void theory_correction_norm(const LayerTheory& lt, double& norm, double& se) {
  norm = se = 0;
  if (!lt.has_theory) return;
  const KernelTensor d = lt.theory - lt.nngp;
  norm = d.frobenius();
  if (lt.theory_se.v.empty()) return;
  frob_with_se(d.v, {&lt.theory_groups}, norm, se);
}

nlohmann::ordered_json theory_json(const TheoryResult& t) {
  nlohmann::ordered_json j;
  j["available"] = true;  // kept for readers of older theory.json files: fwmc refuses a config without a theory
  j["method"] = t.method;
  j["draws"] = t.draws;
  j["gamma_condition_number"] = t.phi.gamma_cond;
  j["sum_nd_over_n"] = t.sum_nd_over_n;
  j["p_depth_over_n"] = t.p_depth_over_n;  // rank(G) L / n_min
  j["data_rank"] = t.data_rank;
  j["warnings"] = t.warnings;
  j["layers"] = nlohmann::ordered_json::array();
  for (const auto& lt : t.layers) {
    double norm, se;
    theory_correction_norm(lt, norm, se);
    nlohmann::ordered_json l;
    l["layer"] = lt.layer;
    l["frob_nngp"] = lt.nngp.frobenius();
    if (lt.has_theory) {
      l["frob_dK_th"] = norm;
      l["frob_dK_th_se"] = se;
    }
    j["layers"].push_back(l);
  }
  return j;
}

}  // namespace fwmc
