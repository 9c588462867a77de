#include "host/run/batch_runner.hpp"

#include "fwmc/atomic_file.hpp"
#include "fwmc/feature_model.hpp"
#include "fwmc/interrupt.hpp"
#include "fwmc/version.hpp"

namespace fwmc {

RunShape run_shape(const RunPlan& plan, const Comm& comm) {
  RunShape s;
  s.batch_lo = comm.rank() * plan.batches() / comm.size();
  s.batch_hi = (comm.rank() + 1) * plan.batches() / comm.size();
  return s;
}

void write_start_checkpoint(const CheckpointPolicy& policy, int ranks) {
  CheckpointData ck;
  ck.version = kVersion;
  ck.config_hash = policy.config_hash;
  for (const auto& [k, v] : policy.extra) ck.put_string(k, v);
  ck.put_value("ranks", ranks);
  write_file_atomic(policy.path, ck.serialize());
}

bool has_sampling_state(const CheckpointData& ck) { return ck.has("batch"); }

template <class T>
void CheckpointWriter::write(int bi, long next_it, const RunTotals& totals, const Statistics& st,
                             const DropPolicy& drops, const Sampler<T>& sampler, const KernelAccumulator<T>& acc) {
  CheckpointData ck;
  ck.version = kVersion;
  ck.config_hash = policy_->config_hash;
  for (const auto& [k, v] : policy_->extra) ck.put_string(k, v);
  ck.put_value("batch", bi);
  ck.put_value("ranks", ranks_);
  ck.put_value("next_iteration", next_it);
  ck.put_value("sampling_s", totals.sampling_s_before + std::chrono::duration<double>(Clock::now() - t0_).count());
  totals.save(ck, st);
  drops.save(ck);
  sampler.save(ck, "batch/");
  acc.save(ck, "batch/");
  write_file_atomic(policy_->path, ck.serialize());
  last_ = Clock::now();
}

template <class T>
void BatchRunner<T>::run(int bi, RunTotals& totals, const CheckpointData* resume, long first_it) {
  const int batch = plan_.chain_batch;
  const long iters = plan_.iterations();
  auto model = make_feature_model<T>(be_, plan_.model, d_, plan_.beta, batch, static_cast<std::uint64_t>(bi) * batch);
  Sampler<T> sampler(*model, plan_.settings);
  KernelAccumulator<T> acc(*model, plan_.groups_per_batch(), phi_, plan_.selection, stats_.stein,
                           stats_.field ? &field_ : nullptr);
  acc.reserve_draws(plan_.samples);
  DropPolicy drops(batch, plan_.divergence_budget);
  long it0 = 0;
  if (resume) {
    sampler.load(*resume, "batch/");
    acc.load(*resume, "batch/");
    drops.load(*resume);
    it0 = first_it;
  } else {
    sampler.init_from_prior();
    drops.observe(sampler.info(), false, totals.n);
  }
  const auto tb = std::chrono::steady_clock::now();
  double acc_window = 0;
  long window_n = 0;
  for (long it = it0; it < iters; ++it) {
    if (interrupted()) {
      if (writer_.enabled()) writer_.write(bi, it, totals, stats_, drops, sampler, acc);
      throw Interrupted();
    }
    const StepInfo& info = sampler.step(it);
    const bool sampling = it >= plan_.warmup;
    drops.observe(info, sampling, totals.n);
    double a = 0;
    for (int k = 0; k < batch; ++k) {
      a += info.accept_prob[k];
      totals.n.nonfinite_events += info.nonfinite[k];
      if (sampling) totals.n.divergences += info.divergent[k];  // as Stan: post-warm-up only
    }
    acc_window += a / batch;
    ++window_n;
    if (!sampling) {
      sampler.adapt_step_sizes();
      if (it == plan_.warmup - 1) sampler.freeze_step_sizes();
    } else {
      for (int k = 0; k < batch; ++k) totals.accept[static_cast<std::size_t>(bi) * batch + k] += info.accept_prob[k];
      totals.n.counted_steps += batch;
      if ((it - plan_.warmup + 1) % plan_.thin == 0)
        acc.observe(sampler.state().theta.data(), sampler.state().U, &drops.alive());
    }
    if (writer_.due()) writer_.write(bi, it + 1, totals, stats_, drops, sampler, acc);
    if (progress_ && ((it + 1) % 25 == 0 || it + 1 == iters)) {
      const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - tb).count();
      const double rate = double(it + 1 - it0) * batch / std::max(el, 1e-9);
      const double remaining = (double(iters - it - 1) + double(plan_.batches() - bi - 1) * iters) * batch / rate;
      progress_({it < plan_.warmup ? "warmup" : "sampling", it + 1, iters, bi + 1, plan_.batches(), rate,
                 acc_window / window_n, remaining});
      acc_window = 0;
      window_n = 0;
    }
  }
  // The final checkpoint: with it a failure while writing the outputs (disk full, a kill) costs only the writing,
  // which --resume redoes from here.
  if (bi == shape_.batch_hi - 1 && it0 < iters && writer_.enabled())
    writer_.write(bi, iters, totals, stats_, drops, sampler, acc);
  if (plan_.warmup == 0) sampler.freeze_step_sizes();
  totals.add_batch(bi, batch, acc, drops.alive(), sampler.step_sizes());
}

template class BatchRunner<float>;
template class BatchRunner<double>;

}  // namespace fwmc
