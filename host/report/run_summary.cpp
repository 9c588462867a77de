#include "fwmc/run_summary.hpp"

#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include <nlohmann/json.hpp>

#include "fwmc/compare.hpp"
#include "fwmc/cpu_info.hpp"
#include "fwmc/memory_model.hpp"
#include "fwmc/version.hpp"
#include "host/report/theory_output.hpp"

namespace fwmc {

namespace {

nlohmann::ordered_json finite_or_null(double x) { return std::isfinite(x) ? nlohmann::ordered_json(x) : nullptr; }

nlohmann::ordered_json stein_json(const SteinReport& s) {
  return {{"kind", s.kind},
          {"mcse_ratio_plain_over_stein_median", finite_or_null(s.mcse_ratio_median)},
          {"mcse_ratio_plain_over_stein_frob", finite_or_null(s.mcse_ratio_frob)},
          {"per_draw_sd_ratio_plain_over_stein_median", finite_or_null(s.sd_ratio_median)},
          {"ess_plain_median", finite_or_null(s.ess_plain_median)},
          {"ess_stein_median", finite_or_null(s.ess_stein_median)},
          {"agreement_with_plain", {{"max_abs_z", s.agree_max_z}, {"chi2", s.agree_chi2}, {"dof", s.agree_dof}}},
          {"control_variate_zero", {{"max_abs_z", s.cv_max_z}, {"chi2", s.cv_chi2}, {"dof", s.cv_dof}}}};
}

nlohmann::ordered_json diagnostics_json(const RunDiagnostics& dg) {
  nlohmann::ordered_json j = {{"rhat_max", finite_or_null(rhat_or_nan(dg.rhat_max))},
                              {"rhat_nested_max", finite_or_null(rhat_or_nan(dg.rhat_nested_max))},
                              {"ess_bulk_min", finite_or_null(dg.ess_bulk_min)},
                              {"ess_tail_min", finite_or_null(dg.ess_tail_min)},
                              {"accept_rate_mean", dg.accept_rate_mean},
                              {"drift_z_max", dg.drift_z_max},
                              {"divergences", dg.divergences},
                              {"nonfinite_events", dg.nonfinite_events},
                              {"nonfinite_chains", dg.nonfinite_chains},
                              {"dropped_chains_nonfinite", dg.dropped_nonfinite},
                              {"dropped_chains_divergent", dg.dropped_divergent},
                              {"step_size", {{"min", dg.step_min}, {"mean", dg.step_mean}, {"max", dg.step_max}}}};
  j["gradients_per_iteration"] = {{"min", dg.gradients_min}, {"mean", dg.gradients_mean}, {"max", dg.gradients_max}};
  nlohmann::ordered_json traces = nlohmann::ordered_json::array();
  for (std::size_t k = 0; k < dg.trace_names.size(); ++k)
    traces.push_back({{"name", dg.trace_names[k]},
                      {"rhat", finite_or_null(dg.rhat[k])},
                      {"rhat_nested", finite_or_null(dg.rhat_nested[k])},
                      {"drift_z", finite_or_null(dg.drift_z[k])},
                      {"ess_bulk", finite_or_null(dg.ess_bulk[k])},
                      {"ess_tail", finite_or_null(dg.ess_tail[k])}});
  j["traces"] = traces;
  return j;
}

// Per hidden layer: the measured deviation, its comparison with the theory, and the estimator's report.
nlohmann::ordered_json layers_json(const JobResult& job) {
  const RunResult& r = job.run;
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& l : job.layers) {
    nlohmann::ordered_json e = {{"layer", l.layer},
                                {"frob_dK_exp", l.frob_dK_exp},
                                {"frob_dK_exp_se", l.frob_dK_exp_se},
                                {"frob_mcse", l.frob_mcse},
                                {"max_abs_z_vs_nngp", l.max_abs_z_nngp}};
    if (l.has_theory) {
      e["frob_dK_th"] = l.frob_dK_th;
      e["frob_dK_th_se"] = l.frob_dK_th_se;
      e["frob_theory_mcse"] = l.frob_theory_mcse;
      e["frob_exp_minus_th"] = l.frob_exp_minus_th;
      e["frob_exp_minus_th_se"] = l.frob_exp_minus_th_se;
      e["rel_err"] = l.rel_err;
      e["rel_err_se"] = l.rel_err_se;
      e["max_abs_z"] = l.max_abs_z;
      e["chi2"] = l.chi2;
      e["chi2_dof"] = l.dof;
    }
    const std::size_t li = static_cast<std::size_t>(l.layer - 1);
    if (li < r.stein.size()) e["estimator"] = stein_json(r.stein[li]);
    if (li < job.spatial_trace.size()) {
      const auto& t = job.spatial_trace[li];
      e["spatial_trace"] = {{"frob_dK_exp", t.frob_dK_exp}, {"frob_dK_exp_se", t.frob_dK_exp_se},
                            {"frob_dK_th", t.frob_dK_th},   {"frob_exp_minus_th", t.frob_exp_minus_th},
                            {"rel_err", t.rel_err},         {"max_abs_z", t.max_abs_z}};
    }
    if (li < job.cnn_forms.size()) {
      const auto& f = job.cnn_forms[li];
      e["cnn_forms"] = {{"distance_propagated_mcse", f.propagated},   {"distance_unpropagated_mcse", f.unpropagated},
                        {"max_abs_z_propagated", f.max_z_propagated}, {"max_abs_z_unpropagated", f.max_z_unpropagated},
                        {"frob_dK_th_propagated", f.dK_propagated},   {"frob_dK_th_unpropagated", f.dK_unpropagated}};
    }
    out.push_back(e);
  }
  return out;
}

}  // namespace

double rhat_or_nan(double r) { return r > 0 ? r : std::numeric_limits<double>::quiet_NaN(); }

std::string shown(double x, const char* fmt) {
  if (!std::isfinite(x)) return "n/a";
  char b[64];
  std::snprintf(b, sizeof b, fmt, x);
  return b;
}

std::vector<NamedArray> run_arrays(const RunPlan& plan, const JobResult& job) {
  const RunResult& r = job.run;
  std::vector<NamedArray> out;
  add_theory_arrays(job.theory, out);
  auto add_estimate = [&](const std::string& name, const KernelEstimate& e) {
    out.push_back({name + "_mean", e.mean.shape(), e.mean.v});
    out.push_back({name + "_mcse", e.mcse.shape(), e.mcse.v});
  };
  const bool both = plan.estimator == EstimatorChoice::both;
  for (int l = 1; l <= plan.model.depth(); ++l) {
    add_estimate("K" + std::to_string(l), r.kernels[l - 1]);
    if (both) add_estimate("K" + std::to_string(l) + "_plain", r.plain_kernels[l - 1]);
  }
  {  // the traces, (trace, chain, draw): what ArviZ and the diagnostics read
    const Traces& t = r.traces;
    NamedArray a{
        "traces", {t.values.size(), static_cast<std::size_t>(t.chains), static_cast<std::size_t>(t.draws)}, {}};
    a.values.reserve(t.values.size() * t.chains * t.draws);
    for (std::size_t k = 0; k < t.values.size(); ++k)
      for (const auto& chain : t.per_chain(k)) a.values.insert(a.values.end(), chain.begin(), chain.end());
    out.push_back(std::move(a));
  }
  if (r.has_preact) {
    add_estimate("Q1", r.preact);
    if (both) add_estimate("Q1_plain", r.preact_plain);
  }
  return out;
}

nlohmann::ordered_json run_theory_json(const TheoryResult& th) {
  return nlohmann::ordered_json{{"fwmc_version", kVersion}, {"theory", theory_json(th)}};
}

nlohmann::ordered_json run_summary_json(const Config& c, const RunPlan& plan, const JobResult& job,
                                        const Provenance& prov, double theory_s) {
  const RunResult& r = job.run;
  const TheoryResult& th = job.theory;
  const double total_s = job.total_s;
  nlohmann::ordered_json j;
  j["fwmc_version"] = kVersion;
  j["config"] = nlohmann::ordered_json::parse(config_to_json(c));
  j["backend"] = r.backend;
  j["device"] = r.device;
  j["precision"] = precision_name(plan.precision);
  {
    const BlasInfo b = blas_info();
    j["cpu"] = {{"isa", detect_isa().name()},
                {"blas", b.config},
                {"blas_kernels", b.kernel},
                {"blas_kernels_selected_by", b.selected_by.empty() ? "the BLAS" : b.selected_by},
                {"omp_wait_policy", std::getenv("OMP_WAIT_POLICY") ? std::getenv("OMP_WAIT_POLICY") : ""}};
  }
  j["estimator"] = r.estimator;
  j["evaluation"] = plan.weight_product ? "product" : "layers";  // what [model] evaluation resolved to
  j["timing"] = {{"total_s", total_s},
                 {"sampling_s", r.sampling_s},
                 {"theory_s", theory_s},
                 {"stein_statistics_s", r.stein_s},
                 {"chain_steps_per_s", r.chain_steps_per_s}};
  {  // the memory model next to what this process actually peaked at (CPU: both in the same memory)
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const MemoryEstimate& e = plan.memory;
    const int batch = plan.chain_batch;
    j["memory"] = {{"model_backend_mib", e.total(batch) / 1048576.0},
                   {"model_host_mib", e.host / 1048576.0},
                   {"model_peak_cpu_mib", e.peak_same_memory(batch) / 1048576.0},
                   {"peak_rss_mib", ru.ru_maxrss / 1024.0}};
  }
  j["diagnostics"] = diagnostics_json(r.diag);
  j["theory"] = theory_json(th);
  j["layers"] = layers_json(job);
  if (r.has_preact) {  // the exact Stein estimate of layer 1's pre-activation kernel, against the plain one
    double n, se;
    frob_with_se(r.preact.mean.v, {&r.preact.groups}, n, se);
    j["preactivation_layer1"] = {{"frob", n}, {"frob_se", se}, {"estimator", stein_json(r.preact_report)}};
  }
  j["provenance"] = prov.to_json();
  return j;
}

}  // namespace fwmc
