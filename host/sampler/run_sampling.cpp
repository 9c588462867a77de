#include <chrono>
#include <cmath>
#include <limits>

#include "fwmc/backend.hpp"
#include "fwmc/comm.hpp"
#include "fwmc/device_select.hpp"
#include "fwmc/diagnostics.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/fcn_model.hpp"
#include "fwmc/interrupt.hpp"
#include "fwmc/io.hpp"
#include "fwmc/run.hpp"
#include "fwmc/sampler.hpp"
#include "fwmc/version.hpp"
#include "host/sampler/run_estimates.hpp"

namespace fwmc {

namespace {

using Clock = std::chrono::steady_clock;

template <class T>
RunResult run_typed(Backend<T>& be, const Config& c, const ModelSpec& m, const Dataset& d, const Eigen::MatrixXd& phi,
                    const ProgressFn& progress, const CheckpointPolicy* policy) {
  const auto& sc = c.sampler;
  Comm& comm = world();
  const int C = sc.chains, batch = chain_batch_size(c, comm.size()), batches = C / batch;
  const int cg = C / sc.groups, groups_per_batch = batch / cg;
  // This rank's share of the batches: contiguous, so rank 0 receives them in the single-process order.
  const int batch_lo = comm.rank() * batches / comm.size(), batch_hi = (comm.rank() + 1) * batches / comm.size();
  const long iters = sc.warmup + static_cast<long>(sc.samples) * sc.thin;
  SamplerSettings ss;
  ss.method = parse_method(sc.method);
  ss.step_size = sc.step_size;
  ss.leapfrog_steps = sc.leapfrog_steps;
  ss.target_accept = sc.target_accept;
  ss.adapt = sc.adapt;
  ss.seed = sc.seed;
  ss.mass = sc.mass;

  const KernelSelection sel = kernel_selection(c);
  const EstimatorChoice choice = parse_estimator(c.output.estimator);
  const Statistics stats(m, choice != EstimatorChoice::plain);
  RunResult r;
  r.backend = be.name();
  // Results of finished batches, each at its batch's place (zero elsewhere, so that summing the ranks' arrays
  // assembles the run exactly): kernel sums and terms per group, chains dropped, step sizes, traces.
  const int M = sel.count(d.N()), Dp = m.positions();
  const std::size_t entries = static_cast<std::size_t>(Dp) * M * M * (sel.diagonal && Dp > 1 ? 1 : Dp);
  std::vector<std::vector<double>> group_sums(stats.count(), std::vector<double>(sc.groups * entries, 0.0));
  std::vector<double> group_counts(sc.groups, 0.0), dropped_run(C, 0.0);
  r.step_sizes.assign(C, 0.0);
  r.traces.chains = C;
  long counted_steps = 0;
  // Post-warm-up acceptance probabilities summed per chain, then over chains in order at the end (so the mean
  // does not depend on batching or ranks).
  std::vector<double> accept_chain(C, 0.0);
  double elapsed_before = 0;  // sampling seconds of the runs this one resumes
  const auto t0 = Clock::now();
  auto last_save = t0;
  // Chains of the current batch still counted, and their post-warm-up divergences (the drop policy below).
  std::vector<std::uint8_t> alive(batch, 1);
  std::vector<long> chain_divs(batch, 0);
  // Everything the loop below carries from one iteration to the next, into a checkpoint.
  auto save = [&](int bi, long next_it, const Sampler<T>& sampler, const KernelAccumulator<T>& acc) {
    CheckpointData ck;
    ck.version = kVersion;
    ck.config_hash = policy->config_hash;
    for (const auto& [k, v] : policy->extra) ck.put_string(k, v);
    ck.put_value("batch", bi);
    ck.put_value("ranks", comm.size());
    ck.put_value("next_iteration", next_it);
    ck.put("run/accept", accept_chain);
    ck.put("counters", std::vector<long>{0, counted_steps, r.diag.divergences, r.diag.nonfinite_events,
                                         r.diag.dropped_nonfinite, r.diag.dropped_divergent});
    ck.put("run/group_counts", group_counts);
    ck.put("run/dropped", dropped_run);
    ck.put("batch/alive", alive);
    ck.put("batch/divergences", chain_divs);
    ck.put_value("sampling_s", elapsed_before + std::chrono::duration<double>(Clock::now() - t0).count());
    for (int k = 0; k < stats.count(); ++k) ck.put("run/" + stats.name(k), group_sums[k]);
    ck.put("run/step_sizes", r.step_sizes);
    for (std::size_t k = 0; k < r.traces.values.size(); ++k) ck.put("run/trace" + std::to_string(k), r.traces.values[k]);
    sampler.save(ck, "batch/");
    acc.save(ck, "batch/");
    write_file_atomic(policy->path, ck.serialize());
    last_save = Clock::now();
  };
  int first_batch = 0;
  long first_it = 0;
  const CheckpointData* resume = policy ? policy->resume : nullptr;
  if (resume) {
    first_batch = resume->get_value<int>("batch");
    first_it = resume->get_value<long>("next_iteration");
    const auto counters = resume->get<long>("counters");
    if (counters.size() != 6 || first_batch < 0 || first_batch >= batches || first_it < 0 || first_it > iters)
      throw RuntimeError("checkpoint: run position out of range");
    accept_chain = resume->get<double>("run/accept");
    counted_steps = counters[1];
    r.diag.divergences = counters[2];
    r.diag.nonfinite_events = counters[3];
    r.diag.dropped_nonfinite = counters[4];
    r.diag.dropped_divergent = counters[5];
    group_counts = resume->get<double>("run/group_counts");
    dropped_run = resume->get<double>("run/dropped");
    elapsed_before = resume->get_value<double>("sampling_s");
    for (int k = 0; k < stats.count(); ++k) group_sums[k] = resume->get<double>("run/" + stats.name(k));
    r.step_sizes = resume->get<double>("run/step_sizes");
  }
  if (resume && (first_batch < batch_lo || first_batch >= batch_hi || resume->get_value<int>("ranks") != comm.size()))
    throw InputError("checkpoint: written by a job of " + std::to_string(resume->get_value<int>("ranks")) +
                     " process(es); resume with the same number (mpirun -np)");
  for (int bi = resume ? first_batch : batch_lo; bi < batch_hi; ++bi) {
    auto model = make_feature_model<T>(be, m, d, c.posterior.beta, batch, static_cast<std::uint64_t>(bi) * batch);
    Sampler<T> sampler(*model, ss);
    KernelAccumulator<T> acc(*model, groups_per_batch, phi, sel, stats.stein);
    acc.reserve_draws(sc.samples);
    long it0 = 0;
    if (resume && bi == first_batch) {
      sampler.load(*resume, "batch/");
      acc.load(*resume, "batch/");
      alive = resume->get<std::uint8_t>("batch/alive");
      chain_divs = resume->get<long>("batch/divergences");
      if (alive.size() != std::size_t(batch) || chain_divs.size() != std::size_t(batch))
        throw RuntimeError("checkpoint: chain flags do not match this run");
      it0 = first_it;
      if (resume->has("run/trace0")) {  // the merged traces of the finished batches
        r.traces.names = acc.traces().names;
        r.traces.draws = sc.samples;
        for (std::size_t k = 0; k < r.traces.names.size(); ++k)
          r.traces.values.push_back(resume->get<double>("run/trace" + std::to_string(k)));
      }
    } else {
      alive.assign(batch, 1);
      chain_divs.assign(batch, 0);
      sampler.init_from_prior();
    }
    // Drop policy: a chain whose state is non-finite, or that diverges more than sampler.divergence_budget times
    // after warm-up, is dropped at that step: it adds nothing to the kernel sums from then on (its earlier draws
    // were of finite states and stay), its traces read NaN, and summary.json counts it.
    auto drop_bad_chains = [&](const StepInfo& info, bool sampling) {
      for (int k = 0; k < batch; ++k) {
        if (sampling && info.divergent[k]) ++chain_divs[k];
        if (!alive[k]) continue;
        if (info.bad_state[k]) { alive[k] = 0; ++r.diag.dropped_nonfinite; }
        else if (sc.divergence_budget >= 0 && chain_divs[k] > sc.divergence_budget) { alive[k] = 0; ++r.diag.dropped_divergent; }
      }
    };
    if (it0 == 0) drop_bad_chains(sampler.info(), false);
    auto tb = Clock::now();
    double acc_window = 0;
    long window_n = 0;
    for (long it = it0; it < iters; ++it) {
      if (interrupted()) {
        if (policy && !policy->path.empty()) save(bi, it, sampler, acc);
        throw Interrupted();
      }
      const StepInfo& info = sampler.step(it);
      drop_bad_chains(info, it >= sc.warmup);
      double a = 0;
      for (int k = 0; k < batch; ++k) {
        a += info.accept_prob[k];
        r.diag.nonfinite_events += info.nonfinite[k];
        if (it >= sc.warmup) r.diag.divergences += info.divergent[k];  // as Stan: post-warm-up only
      }
      acc_window += a / batch;
      ++window_n;
      if (it < sc.warmup) {
        sampler.adapt_step_sizes();
        if (it == sc.warmup - 1) sampler.freeze_step_sizes();
      } else {
        for (int k = 0; k < batch; ++k) accept_chain[static_cast<std::size_t>(bi) * batch + k] += info.accept_prob[k];
        counted_steps += batch;
        if ((it - sc.warmup + 1) % sc.thin == 0) acc.observe(sampler.state().theta.data(), sampler.state().U, &alive);
      }
      if (policy && !policy->path.empty() &&
          std::chrono::duration<double>(Clock::now() - last_save).count() >= policy->every_s)
        save(bi, it + 1, sampler, acc);
      if (progress && ((it + 1) % 25 == 0 || it + 1 == iters)) {
        const double el = std::chrono::duration<double>(Clock::now() - tb).count();
        const double rate = double(it + 1 - it0) * batch / std::max(el, 1e-9);
        const double remaining = (double(iters - it - 1) + double(batches - bi - 1) * iters) * batch / rate;
        progress({it < sc.warmup ? "warmup" : "sampling", it + 1, iters, bi + 1, batches, rate,
                  acc_window / window_n, remaining});
        acc_window = 0;
        window_n = 0;
      }
    }
    // The final checkpoint: with it a failure while writing the outputs (disk full, a kill) costs only the
    // writing, which --resume redoes from here.
    if (bi == batch_hi - 1 && it0 < iters && policy && !policy->path.empty()) save(bi, iters, sampler, acc);
    if (sc.warmup == 0) sampler.freeze_step_sizes();
    const auto& h = sampler.step_sizes();
    std::copy(h.begin(), h.end(), r.step_sizes.begin() + static_cast<long>(bi) * batch);
    // Merge: group sums of this batch follow those of earlier batches; traces gain this batch's chains.
    for (int k = 0; k < stats.count(); ++k) {
      const auto s = acc.group_sums(k);
      std::copy(s.begin(), s.end(), group_sums[k].begin() + static_cast<long>(bi) * s.size());
    }
    std::copy(acc.group_counts().begin(), acc.group_counts().end(), group_counts.begin() + bi * groups_per_batch);
    for (int k = 0; k < batch; ++k) dropped_run[bi * batch + k] = !alive[k];
    const Traces& t = acc.traces();
    if (r.traces.values.empty()) {
      r.traces.names = t.names;
      r.traces.draws = t.draws;
      r.traces.values.assign(t.names.size(), std::vector<double>(static_cast<std::size_t>(t.draws) * C, 0.0));
    }
    for (std::size_t k = 0; k < t.names.size(); ++k)
      for (long dd = 0; dd < t.draws; ++dd)
        for (int cc = 0; cc < batch; ++cc)
          r.traces.values[k][dd * C + bi * batch + cc] = t.values[k][dd * batch + cc];
  }
  r.sampling_s = elapsed_before + std::chrono::duration<double>(Clock::now() - t0).count();
  if (comm.size() > 1) {  // assemble the run on rank 0; the other ranks are done
    for (auto& g : group_sums) comm.sum_to_root(g);
    comm.sum_to_root(group_counts);
    comm.sum_to_root(dropped_run);
    comm.sum_to_root(r.step_sizes);
    if (r.traces.values.empty()) {  // a rank whose batches all finished before the checkpoint it resumed from
      r.traces.names = trace_names(m.depth());
      r.traces.draws = sc.samples;
      r.traces.values.assign(r.traces.names.size(), std::vector<double>(static_cast<std::size_t>(sc.samples) * C, 0.0));
    }
    for (auto& v : r.traces.values) comm.sum_to_root(v);
    comm.sum_to_root(accept_chain);
    std::vector<long> counters = {0, counted_steps, r.diag.divergences, r.diag.nonfinite_events,
                                  r.diag.dropped_nonfinite, r.diag.dropped_divergent};
    comm.sum_to_root(counters);
    counted_steps = counters[1];
    r.diag.divergences = counters[2];
    r.diag.nonfinite_events = counters[3];
    r.diag.dropped_nonfinite = counters[4];
    r.diag.dropped_divergent = counters[5];
    comm.max_to_root(r.sampling_s);
    if (comm.rank() != 0) return r;
  }
  r.chain_steps = iters * C;
  r.chain_steps_per_s = r.chain_steps / std::max(r.sampling_s, 1e-9);
  double counted = 0;
  for (double n : group_counts) counted += n;
  if (counted == 0)
    throw RuntimeError("every chain was dropped (" + std::to_string(r.diag.dropped_nonfinite) + " non-finite, " +
                       std::to_string(r.diag.dropped_divergent) + " over the divergence budget): lower the step size, "
                       "raise the warm-up, or check the data");
  estimate_run(r, m, d.X, sel, choice, stats, sc.groups, group_sums, group_counts);
  auto with_counts = [&](RunDiagnostics dg) {
    dg.divergences = r.diag.divergences;
    dg.nonfinite_events = r.diag.nonfinite_events;
    dg.dropped_nonfinite = r.diag.dropped_nonfinite;
    dg.dropped_divergent = r.diag.dropped_divergent;
    return dg;
  };
  r.diag = [&] {
    // Diagnostics on the chains never dropped (the others' traces end in NaN); with drops the chain groups are
    // uneven, so nested R-hat and drift (which need them) are not computed.
    int n_kept = 0;
    for (int cc = 0; cc < C; ++cc) n_kept += !dropped_run[cc];
    if (n_kept == C) return with_counts(diagnose(r.traces, sc.groups));
    Traces kept = r.traces;  // only when chains were dropped: a copy without them
    {
      kept.chains = n_kept;
      for (auto& v : kept.values) {
        std::vector<double> w;
        w.reserve(static_cast<std::size_t>(r.traces.draws) * n_kept);
        for (long dd = 0; dd < r.traces.draws; ++dd)
          for (int cc = 0; cc < C; ++cc)
            if (!dropped_run[cc]) w.push_back(v[dd * C + cc]);
        v = std::move(w);
      }
    }
    return with_counts(diagnose(kept, 1));
  }();
  double accept_sum = 0;
  for (double a : accept_chain) accept_sum += a;
  r.diag.accept_rate_mean = counted_steps ? accept_sum / counted_steps : 0.0;
  double smin = std::numeric_limits<double>::infinity(), smax = 0, ssum = 0;
  for (double h : r.step_sizes) { smin = std::min(smin, h); smax = std::max(smax, h); ssum += h; }
  r.diag.step_min = smin;
  r.diag.step_max = smax;
  r.diag.step_mean = ssum / r.step_sizes.size();
  for (int cc = 0; cc < C; ++cc)
    if (!std::isfinite(r.traces.values[0][(r.traces.draws - 1) * C + cc])) ++r.diag.nonfinite_chains;
  return r;
}

}  // namespace

int chain_batch_size(const Config& c, int ranks) {
  const auto& s = c.sampler;
  const int batch = s.chain_batch > 0 ? s.chain_batch : s.chains;
  if (s.chains / batch >= ranks) return batch;
  // Fewer batches than processes: split the chains evenly over the ranks, in whole chain groups (batching never
  // changes the results).
  const int cg = s.chains / s.groups;
  if (s.chains % ranks != 0 || (s.chains / ranks) % cg != 0)
    throw InputError(c.source + ": [sampler] chains = " + std::to_string(s.chains) + " cannot be shared by " +
                     std::to_string(ranks) + " processes in whole chain groups of " + std::to_string(cg) +
                     "; set chain_batch to a multiple of " + std::to_string(cg) + " giving at least " +
                     std::to_string(ranks) + " batches");
  return s.chains / ranks;
}

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

RunResult run_sampling(const Config& c, const ModelSpec& m, const Dataset& d, const Eigen::MatrixXd& phi,
                       const ProgressFn& progress, const CheckpointPolicy* policy) {
  const DeviceChoice dev = choose_device(c);
  const int batch = chain_batch_size(c, world().size());
  check_memory(c, dev, estimate_memory(c, m, d.N(), d.P, batch), batch);
  RunResult r;
  if (c.sampler.precision == "double") {
    auto be = make_backend<double>(dev);
    r = run_typed(*be, c, m, d, phi, progress, policy);
  } else {
    auto be = make_backend<float>(dev);
    r = run_typed(*be, c, m, d, phi, progress, policy);
  }
  r.device = dev.description;
  return r;
}

}  // namespace fwmc
