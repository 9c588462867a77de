// The sampling job: this rank's chain batches one after another (batch_runner), their totals merged and summed
// over ranks (run_totals), then the estimates and diagnostics (run_finish).
#include <chrono>

#include "fwmc/comm.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/run_sampling.hpp"
#include "fwmc/stein_field_tables.hpp"
#include "host/run/batch_runner.hpp"
#include "host/run/run_finish.hpp"

namespace fwmc {

namespace {

template <class T>
RunResult run_typed(Backend<T>& be, const RunPlan& plan, const Dataset& d, const Eigen::MatrixXd& phi,
                    const ProgressFn& progress, const CheckpointPolicy* policy) {
  Comm& comm = world();
  const RunShape shape = run_shape(plan, comm);
  const Statistics stats(plan.model, plan.stein());
  // The conditional field's tables, built once for every batch (docs/theory.md 12).
  const SteinFieldData field =
      stats.field ? stein_field_data(plan.model, selected_nngp(plan.model, d.X, plan.selection)) : SteinFieldData{};
  RunTotals totals(plan.chains, plan.groups, plan.entries(), stats, plan.model.depth(), plan.samples);
  const auto t0 = std::chrono::steady_clock::now();
  CheckpointWriter writer(policy, comm.size(), t0);
  BatchRunner<T> runner(be, plan, d, phi, shape, stats, field, progress, writer);
  int first_batch = shape.batch_lo;
  long first_it = 0;
  // A start record (written before the run sampled anything) resumes as a fresh start.
  const CheckpointData* resume =
      policy && policy->resume && has_sampling_state(*policy->resume) ? policy->resume : nullptr;
  if (resume) {
    first_batch = resume->get_value<int>("batch");
    first_it = resume->get_value<long>("next_iteration");
    if (first_batch < 0 || first_batch >= plan.batches() || first_it < 0 || first_it > plan.iterations())
      throw RuntimeError("checkpoint: run position out of range");
    totals.load(*resume, stats);
    if (first_batch < shape.batch_lo || first_batch >= shape.batch_hi || resume->get_value<int>("ranks") != comm.size())
      throw InputError("checkpoint: written by a job of " + std::to_string(resume->get_value<int>("ranks")) +
                       " process(es); resume with the same number (mpirun -np)");
  }
  for (int bi = first_batch; bi < shape.batch_hi; ++bi)
    runner.run(bi, totals, resume && bi == first_batch ? resume : nullptr, first_it);
  double sampling_s =
      totals.sampling_s_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (comm.size() > 1) {  // assemble the run on rank 0; the other ranks are done
    totals.reduce_to_root(comm, sampling_s);
    if (comm.rank() != 0) {
      RunResult r;
      r.backend = be.name();
      return r;
    }
  }
  RunResult r = finish_run(totals, plan, d, stats);
  r.backend = be.name();
  r.sampling_s = sampling_s;
  r.stein_s = totals.stein_s;
  r.chain_steps = plan.iterations() * plan.chains;
  r.chain_steps_per_s = r.chain_steps / std::max(r.sampling_s, 1e-9);
  return r;
}

}  // namespace

RunResult run_sampling(const RunPlan& plan, const Dataset& d, const Eigen::MatrixXd& phi, const ProgressFn& progress,
                       const CheckpointPolicy* policy) {
  if (plan.ranks != world().size())
    throw RuntimeError("run_sampling: the plan was made for " + std::to_string(plan.ranks) + " process(es), not " +
                       std::to_string(world().size()));
  RunResult r = plan.precision == Precision::f64
                    ? run_typed(*make_backend<double>(plan.device), plan, d, phi, progress, policy)
                    : run_typed(*make_backend<float>(plan.device), plan, d, phi, progress, policy);
  r.device = plan.device.description;
  return r;
}

}  // namespace fwmc
