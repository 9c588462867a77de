#include "host/run/run_totals.hpp"

#include <algorithm>
#include <string>

#include "fwmc/errors.hpp"

namespace fwmc {

RunTotals::RunTotals(int chains, int groups, std::size_t entries, const Statistics& st, int depth, long draws)
    : group_sums(st.count(), std::vector<double>(groups * entries, 0.0)),
      group_counts(groups, 0.0),
      dropped(chains, 0.0),
      step_sizes(chains, 0.0),
      accept(chains, 0.0) {
  traces.chains = chains;
  traces.draws = draws;
  traces.names = trace_names(depth);
  traces.values.resize(traces.names.size());
}

void RunTotals::allocate_traces() {
  for (auto& v : traces.values)
    if (v.empty()) v.assign(static_cast<std::size_t>(traces.draws) * traces.chains, 0.0);
}

template <class T>
void RunTotals::add_batch(int bi, int batch, const KernelAccumulator<T>& acc, const std::vector<std::uint8_t>& alive,
                          const std::vector<double>& steps) {
  for (std::size_t k = 0; k < group_sums.size(); ++k) {
    const auto s = acc.group_sums(static_cast<int>(k));
    std::copy(s.begin(), s.end(), group_sums[k].begin() + static_cast<long>(bi) * s.size());
  }
  const auto& counts = acc.group_counts();
  std::copy(counts.begin(), counts.end(), group_counts.begin() + static_cast<long>(bi) * counts.size());
  for (int k = 0; k < batch; ++k) dropped[bi * batch + k] = !alive[k];
  std::copy(steps.begin(), steps.end(), step_sizes.begin() + static_cast<long>(bi) * batch);
  allocate_traces();
  const Traces& t = acc.traces();
  const int C = traces.chains;
  for (std::size_t k = 0; k < t.names.size(); ++k)
    for (long d = 0; d < t.draws; ++d)
      for (int c = 0; c < batch; ++c) traces.values[k][d * C + bi * batch + c] = t.values[k][d * batch + c];
  batch_ = batch;
  finished_.push_back(bi);
  stein_s += acc.stein_seconds();
}
template void RunTotals::add_batch(int, int, const KernelAccumulator<float>&, const std::vector<std::uint8_t>&,
                                   const std::vector<double>&);
template void RunTotals::add_batch(int, int, const KernelAccumulator<double>&, const std::vector<std::uint8_t>&,
                                   const std::vector<double>&);

void RunTotals::save(CheckpointData& ck, const Statistics& st) const {
  ck.put("run/accept", accept);
  ck.put("counters", std::vector<long>{0, n.counted_steps, n.divergences, n.nonfinite_events, n.dropped_nonfinite,
                                       n.dropped_divergent});
  ck.put("run/group_counts", group_counts);
  ck.put("run/dropped", dropped);
  for (int k = 0; k < st.count(); ++k) ck.put("run/" + st.name(k), group_sums[k]);
  ck.put("run/step_sizes", step_sizes);
  ck.put_value("run/stein_s", stein_s);
  // Each finished batch's columns, draws x batch, one batch after another.
  ck.put("run/finished_batches", std::vector<long>(finished_.begin(), finished_.end()));
  ck.put_value("run/batch", batch_);
  const int C = traces.chains;
  for (std::size_t k = 0; k < traces.values.size() && !finished_.empty(); ++k) {
    std::vector<double> cols;
    cols.reserve(finished_.size() * static_cast<std::size_t>(traces.draws) * batch_);
    for (int bi : finished_)
      for (long d = 0; d < traces.draws; ++d)
        for (int c = 0; c < batch_; ++c) cols.push_back(traces.values[k][d * C + bi * batch_ + c]);
    ck.put("run/batch_trace" + std::to_string(k), cols);
  }
}

void RunTotals::load_traces(const CheckpointData& ck) {
  const int C = traces.chains;
  if (!ck.has("run/finished_batches")) {  // checkpoints of fwmc before 2026-11: every chain's column, zeros included
    for (std::size_t k = 0; k < traces.values.size(); ++k)
      if (ck.has("run/trace" + std::to_string(k))) {
        auto v = ck.get<double>("run/trace" + std::to_string(k));
        if (v.size() != static_cast<std::size_t>(traces.draws) * C)
          throw RuntimeError("checkpoint: the run totals do not match this run");
        traces.values[k] = std::move(v);
      }
    return;
  }
  const auto done = ck.get<long>("run/finished_batches");
  const int batch = ck.get_value<int>("run/batch");
  if (done.empty()) return;
  if (batch <= 0 || C % batch != 0) throw RuntimeError("checkpoint: the run totals do not match this run");
  for (long bi : done)
    if (bi < 0 || bi >= C / batch) throw RuntimeError("checkpoint: the run totals do not match this run");
  allocate_traces();
  for (std::size_t k = 0; k < traces.values.size(); ++k) {
    const auto cols = ck.get<double>("run/batch_trace" + std::to_string(k));
    if (cols.size() != done.size() * static_cast<std::size_t>(traces.draws) * batch)
      throw RuntimeError("checkpoint: the run totals do not match this run");
    std::size_t i = 0;
    for (long bi : done)
      for (long d = 0; d < traces.draws; ++d)
        for (int c = 0; c < batch; ++c) traces.values[k][d * C + bi * batch + c] = cols[i++];
  }
  batch_ = batch;
  finished_.assign(done.begin(), done.end());
}

void RunTotals::load(const CheckpointData& ck, const Statistics& st) {
  const auto counters = ck.get<long>("counters");
  if (counters.size() != 6) throw RuntimeError("checkpoint: run position out of range");
  n = RunCounters{counters[1], counters[2], counters[3], counters[4], counters[5]};
  auto same_size = [](std::vector<double>& to, std::vector<double> from) {
    if (from.size() != to.size()) throw RuntimeError("checkpoint: the run totals do not match this run");
    to = std::move(from);
  };
  same_size(accept, ck.get<double>("run/accept"));
  same_size(group_counts, ck.get<double>("run/group_counts"));
  same_size(dropped, ck.get<double>("run/dropped"));
  for (int k = 0; k < st.count(); ++k) same_size(group_sums[k], ck.get<double>("run/" + st.name(k)));
  same_size(step_sizes, ck.get<double>("run/step_sizes"));
  load_traces(ck);
  sampling_s_before = ck.get_value<double>("sampling_s");
  stein_s = ck.has("run/stein_s") ? ck.get_value<double>("run/stein_s") : 0.0;
}

void RunTotals::reduce_to_root(Comm& comm, double& sampling_s) {
  for (auto& g : group_sums) comm.sum_to_root(g);
  comm.sum_to_root(group_counts);
  comm.sum_to_root(dropped);
  comm.sum_to_root(step_sizes);
  allocate_traces();  // a rank whose batches all ran elsewhere still adds its zeros
  for (auto& v : traces.values) comm.sum_to_root(v);
  comm.sum_to_root(accept);
  std::vector<long> c = {
      0, n.counted_steps, n.divergences, n.nonfinite_events, n.dropped_nonfinite, n.dropped_divergent};
  comm.sum_to_root(c);
  n = RunCounters{c[1], c[2], c[3], c[4], c[5]};
  comm.max_to_root(sampling_s);
  comm.max_to_root(stein_s);
}

}  // namespace fwmc
