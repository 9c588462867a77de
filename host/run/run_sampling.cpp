// The sampling job: this rank's chain batches one after another (batch_runner), their totals merged and summed
// over ranks (run_totals), then the estimates and diagnostics (run_finish).
#include <chrono>

#include "fwmc/comm.hpp"
#include "fwmc/device_select.hpp"
#include "fwmc/memory_model.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/run_sampling.hpp"
#include "host/run/batch_runner.hpp"
#include "host/run/run_finish.hpp"

namespace fwmc {

namespace {

template <class T>
RunResult run_typed(Backend<T>& be, const Config& c, const ModelSpec& m, const Dataset& d, const Eigen::MatrixXd& phi,
                    const ProgressFn& progress, const CheckpointPolicy* policy) {
  const auto& sc = c.sampler;
  Comm& comm = world();
  const RunShape shape = run_shape(c, m, d, comm);
  const EstimatorChoice choice = parse_estimator(c.output.estimator);
  const Statistics stats(m, choice != EstimatorChoice::plain);
  RunTotals totals(sc.chains, sc.groups, shape.entries, stats, m.depth(), sc.samples);
  const auto t0 = std::chrono::steady_clock::now();
  CheckpointWriter writer(policy, comm.size(), t0);
  BatchRunner<T> runner(be, c, m, d, phi, shape, stats, progress, writer);
  int first_batch = shape.batch_lo;
  long first_it = 0;
  const CheckpointData* resume = policy ? policy->resume : nullptr;
  if (resume) {
    first_batch = resume->get_value<int>("batch");
    first_it = resume->get_value<long>("next_iteration");
    if (first_batch < 0 || first_batch >= shape.batches || first_it < 0 || first_it > shape.iters)
      throw RuntimeError("checkpoint: run position out of range");
    totals.load(*resume, stats);
    if (first_batch < shape.batch_lo || first_batch >= shape.batch_hi || resume->get_value<int>("ranks") != comm.size())
      throw InputError("checkpoint: written by a job of " + std::to_string(resume->get_value<int>("ranks")) +
                       " process(es); resume with the same number (mpirun -np)");
  }
  for (int bi = first_batch; bi < shape.batch_hi; ++bi)
    runner.run(bi, totals, resume && bi == first_batch ? resume : nullptr, first_it);
  double sampling_s = totals.sampling_s_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (comm.size() > 1) {  // assemble the run on rank 0; the other ranks are done
    totals.reduce_to_root(comm, sampling_s);
    if (comm.rank() != 0) {
      RunResult r;
      r.backend = be.name();
      return r;
    }
  }
  RunResult r = finish_run(totals, m, d, c, shape, choice, stats);
  r.backend = be.name();
  r.sampling_s = sampling_s;
  r.chain_steps = shape.iters * sc.chains;
  r.chain_steps_per_s = r.chain_steps / std::max(r.sampling_s, 1e-9);
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
