#include "host/run/run_finish.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "fwmc/diagnostics.hpp"
#include "fwmc/errors.hpp"
#include "host/run/run_estimates.hpp"

namespace fwmc {

namespace {

// Diagnostics on the chains never dropped (the others' traces end in NaN); with drops the chain groups are uneven,
// so nested R-hat and drift (which need them) are not computed.
RunDiagnostics diagnose_kept(const Traces& traces, const std::vector<double>& dropped, int groups) {
  const int C = traces.chains;
  int n_kept = 0;
  for (int c = 0; c < C; ++c) n_kept += !dropped[c];
  if (n_kept == C) return diagnose(traces, groups);
  Traces kept = traces;  // only when chains were dropped: a copy without them
  kept.chains = n_kept;
  for (auto& v : kept.values) {
    std::vector<double> w;
    w.reserve(static_cast<std::size_t>(traces.draws) * n_kept);
    for (long d = 0; d < traces.draws; ++d)
      for (int c = 0; c < C; ++c)
        if (!dropped[c]) w.push_back(v[d * C + c]);
    v = std::move(w);
  }
  return diagnose(kept, 1);
}

}  // namespace

RunDiagnostics diagnose(const Traces& t, int groups) {
  RunDiagnostics dg;
  dg.trace_names = t.names;
  dg.ess_bulk_min = dg.ess_tail_min = std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < t.names.size(); ++k) {
    const Chains x = t.per_chain(k);
    dg.rhat.push_back(rhat_rank(x));
    dg.ess_bulk.push_back(ess_bulk(x));
    dg.ess_tail.push_back(ess_tail(x));
    dg.rhat_nested.push_back(rhat_nested(x, groups));
    dg.drift_z.push_back(drift_z(x, groups));
    if (std::isfinite(dg.drift_z.back())) dg.drift_z_max = std::max(dg.drift_z_max, std::abs(dg.drift_z.back()));
    // NaN (e.g. a trace that is identically zero at beta = 0) does not enter the extremes.
    if (std::isfinite(dg.rhat.back())) dg.rhat_max = std::max(dg.rhat_max, dg.rhat.back());
    if (std::isfinite(dg.rhat_nested.back())) dg.rhat_nested_max = std::max(dg.rhat_nested_max, dg.rhat_nested.back());
    if (std::isfinite(dg.ess_bulk.back())) dg.ess_bulk_min = std::min(dg.ess_bulk_min, dg.ess_bulk.back());
    if (std::isfinite(dg.ess_tail.back())) dg.ess_tail_min = std::min(dg.ess_tail_min, dg.ess_tail.back());
  }
  return dg;
}

RunResult finish_run(const RunTotals& totals, const RunPlan& plan, const Dataset& d, const Statistics& stats) {
  const int groups = plan.groups;
  const auto& n = totals.n;
  double counted = 0;
  for (double g : totals.group_counts) counted += g;
  if (counted == 0)
    throw RuntimeError("every chain was dropped (" + std::to_string(n.dropped_nonfinite) + " non-finite, " +
                       std::to_string(n.dropped_divergent) +
                       " over the divergence budget): lower the step size, "
                       "raise the warm-up, or check the data");
  RunResult r;
  r.traces = totals.traces;
  r.step_sizes = totals.step_sizes;
  estimate_run(r, plan.model, d.X, plan.selection, plan.estimator, stats, groups, totals.group_sums,
               totals.group_counts);
  r.diag = diagnose_kept(r.traces, totals.dropped, groups);
  r.diag.divergences = n.divergences;
  r.diag.nonfinite_events = n.nonfinite_events;
  r.diag.dropped_nonfinite = n.dropped_nonfinite;
  r.diag.dropped_divergent = n.dropped_divergent;
  double accept_sum = 0;  // summed per chain, then over chains in order: the mean does not depend on batching
  for (double a : totals.accept) accept_sum += a;
  r.diag.accept_rate_mean = n.counted_steps ? accept_sum / n.counted_steps : 0.0;
  double smin = std::numeric_limits<double>::infinity(), smax = 0, ssum = 0;
  for (double h : r.step_sizes) {
    smin = std::min(smin, h);
    smax = std::max(smax, h);
    ssum += h;
  }
  r.diag.step_min = smin;
  r.diag.step_max = smax;
  r.diag.step_mean = ssum / r.step_sizes.size();
  // Gradients per iteration (HMC: each chain's leapfrog steps): fixed after warm-up, as the step sizes are.
  r.diag.gradients_min = std::numeric_limits<int>::max();
  double gsum = 0;
  for (double h : r.step_sizes) {
    const int n = plan.sampler->gradients_per_iteration(plan.settings, h);
    r.diag.gradients_min = std::min(r.diag.gradients_min, n);
    r.diag.gradients_max = std::max(r.diag.gradients_max, n);
    gsum += n;
  }
  r.diag.gradients_mean = gsum / r.step_sizes.size();
  const int C = r.traces.chains;
  for (int cc = 0; cc < C; ++cc)
    if (!std::isfinite(r.traces.values[0][(r.traces.draws - 1) * C + cc])) ++r.diag.nonfinite_chains;
  return r;
}

}  // namespace fwmc
