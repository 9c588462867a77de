#include "host/jobs/run_report.hpp"

#include "host/jobs/appendf.hpp"

namespace fwmc::jobs {

namespace {

void stein_table(std::string& s, const RunResult& r) {
  if (r.stein.empty()) {
    s += "  estimator: plain\n";
    return;
  }
  s += "  estimator: stein (docs/theory.md 11, 12) vs plain on the same draws\n";
  s += "  layer  kind               MCSE plain/stein (median, frob)  per-draw sd  agreement max|z|  chi2/dof"
       "   C_l=0 max|z|\n";
  auto row = [&s](const std::string& name, const SteinReport& t, bool cv) {
    appendf(s, "  %5s  %-17s  %8.3g  %8.3g                  %9s  %16.2f  %6.1f/%ld", name.c_str(), t.kind.c_str(),
            t.mcse_ratio_median, t.mcse_ratio_frob, shown(t.sd_ratio_median, "%.3g").c_str(), t.agree_max_z,
            t.agree_chi2, t.agree_dof);
    if (cv) appendf(s, "  %6.2f", t.cv_max_z);
    s += "\n";
  };
  for (std::size_t l = 0; l < r.stein.size(); ++l) row(std::to_string(l + 1), r.stein[l], true);
  if (r.has_preact) row("Q1", r.preact_report, false);  // its C is layer 1's
  appendf(s, "  estimator cost: %.1f s of %.1f s sampling on the Stein statistics (%.1f s without them)\n", r.stein_s,
          r.sampling_s, r.sampling_s - r.stein_s);
}

void warnings(std::string& s, const JobResult& job) {
  const RunDiagnostics& dg = job.run.diag;
  if (dg.rhat_max > 1.01) appendf(s, "  warning: R-hat %.4f > 1.01: chains have not mixed; run longer\n", dg.rhat_max);
  if (dg.ess_bulk_min < 100 * 4) appendf(s, "  warning: bulk ESS %.0f is low\n", dg.ess_bulk_min);
  if (dg.drift_z_max > 4)
    appendf(s,
            "  warning: the traces drift between the two halves of sampling (|z| = %.1f): all chains share a "
            "transient from their start; increase warmup\n",
            dg.drift_z_max);
  if (dg.divergences > 0) appendf(s, "  warning: %ld divergent transitions\n", dg.divergences);
  if (dg.dropped_nonfinite + dg.dropped_divergent > 0)
    appendf(s, "  warning: %ld chain(s) dropped for a non-finite state, %ld for exceeding the divergence budget\n",
            dg.dropped_nonfinite, dg.dropped_divergent);
  for (const auto& w : job.theory.warnings) appendf(s, "  warning: %s\n", w.c_str());
}

}  // namespace

std::string run_header_text(const Config& c, const RunPlan& plan, const Dataset& d) {
  std::string s = std::string("fwmc run: ") + name_of(c.model.arch) + ", widths";
  for (int w : plan.model.widths) s += " " + std::to_string(w);
  appendf(s, ", %s%s, P = %d (+%d test), %s with %d chains (%s) on %s%s", name_of(c.model.activation),
          plan.weight_product ? " (U through the weight product)" : "", d.P, d.P_test, c.sampler.method.c_str(),
          plan.chains, precision_name(plan.precision), plan.device.description.c_str(),
          c.sampler.device == DeviceKind::automatic ? " (device = auto)" : "");
  if (plan.ranks > 1) appendf(s, " x %d processes", plan.ranks);
  return s;
}

std::string run_report_text(const JobResult& job, const std::string& out_dir) {
  const RunResult& r = job.run;
  const RunDiagnostics& dg = r.diag;
  std::string s;
  appendf(s, "fwmc run: %ld chain-steps in %.1f s (%.3g chain-steps/s), %ld draws x %d chains\n", r.chain_steps,
          r.sampling_s, r.chain_steps_per_s, r.traces.draws, job.chains);
  appendf(s,
          "  diagnostics: R-hat max %s (nested %s), bulk ESS min %s, tail ESS min %s, accept %.3f, "
          "step size %.3g..%.3g, divergences %ld\n",
          shown(rhat_or_nan(dg.rhat_max), "%.4f").c_str(), shown(rhat_or_nan(dg.rhat_nested_max), "%.4f").c_str(),
          shown(dg.ess_bulk_min, "%.0f").c_str(), shown(dg.ess_tail_min, "%.0f").c_str(), dg.accept_rate_mean,
          dg.step_min, dg.step_max, dg.divergences);
  s += "  layer  ||dK_exp||          ||dK_th||    rel_err          max|z|  chi2/dof\n";
  for (const auto& l : job.layers) {
    if (l.has_theory)
      appendf(s, "  %5d  %.4g +- %.2g  %10.4g  %.3f +- %.3f  %6.2f  %.1f/%ld\n", l.layer, l.frob_dK_exp,
              l.frob_dK_exp_se, l.frob_dK_th, l.rel_err, l.rel_err_se, l.max_abs_z, l.chi2, l.dof);
    else
      appendf(s, "  %5d  %.4g +- %.2g  (no theory; max|z| vs NNGP %.2f)\n", l.layer, l.frob_dK_exp, l.frob_dK_exp_se,
              l.max_abs_z_nngp);
  }
  stein_table(s, r);
  for (const auto& t : job.spatial_trace)
    appendf(s, "  spatial trace, layer %d: ||dK_exp|| %.4g +- %.2g, ||dK_th|| %.4g, max|z| %.2f\n", t.layer,
            t.frob_dK_exp, t.frob_dK_exp_se, t.frob_dK_th, t.max_abs_z);
  for (const auto& f : job.cnn_forms)
    appendf(s, "  layer %d distance in MCSE units: propagated %.2f (max|z| %.2f), unpropagated %.2f (max|z| %.2f)\n",
            f.layer, f.propagated, f.max_z_propagated, f.unpropagated, f.max_z_unpropagated);
  warnings(s, job);
  if (!out_dir.empty())
    appendf(s, "  wrote %s/ (summary.json, theory.json, K<l>_{mean,mcse,nngp,theory}.npy, traces.npy)\n",
            out_dir.c_str());
  return s;
}

}  // namespace fwmc::jobs
