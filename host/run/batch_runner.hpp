// One chain batch of a sampling run from its first step (or a checkpoint) to its last: warm-up with step-size
// adaptation, draws into the kernel accumulator, the drop policy, progress and periodic checkpoints.
#pragma once
#include <chrono>
#include <cstddef>

#include <Eigen/Dense>

#include "fwmc/backend.hpp"
#include "fwmc/comm.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/run_plan.hpp"
#include "fwmc/run_sampling.hpp"
#include "fwmc/sampler.hpp"
#include "host/run/drop_policy.hpp"
#include "host/run/run_totals.hpp"

namespace fwmc {

// This rank's chain batches [lo, hi): contiguous, so rank 0 receives them in order (the sizes are the plan's).
struct RunShape {
  int batch_lo = 0, batch_hi = 0;
};
RunShape run_shape(const RunPlan& plan, const Comm& comm);

// Writes everything the batch loop carries from one iteration to the next into the policy's checkpoint file.
class CheckpointWriter {
 public:
  using Clock = std::chrono::steady_clock;
  CheckpointWriter(const CheckpointPolicy* policy, int ranks, Clock::time_point t0)
      : policy_(policy), ranks_(ranks), t0_(t0), last_(t0) {}
  bool enabled() const { return policy_ && !policy_->path.empty(); }
  bool due() const {
    return enabled() && std::chrono::duration<double>(Clock::now() - last_).count() >= policy_->every_s;
  }
  template <class T>
  void write(int bi, long next_it, const RunTotals& totals, const Statistics& st, const DropPolicy& drops,
             const Sampler<T>& sampler, const KernelAccumulator<T>& acc);

 private:
  const CheckpointPolicy* policy_;
  int ranks_;
  Clock::time_point t0_, last_;
};

template <class T>
class BatchRunner {
 public:
  BatchRunner(Backend<T>& be, const RunPlan& plan, const Dataset& d, const Eigen::MatrixXd& phi, const RunShape& shape,
              const Statistics& stats, const SteinFieldData& field, const ProgressFn& progress,
              CheckpointWriter& writer)
      : be_(be),
        plan_(plan),
        d_(d),
        phi_(phi),
        shape_(shape),
        stats_(stats),
        field_(field),
        progress_(progress),
        writer_(writer) {}
  // Runs batch bi, from `resume` at iteration first_it when given, and adds it to the totals.
  void run(int bi, RunTotals& totals, const CheckpointData* resume, long first_it);

 private:
  Backend<T>& be_;
  const RunPlan& plan_;
  const Dataset& d_;
  const Eigen::MatrixXd& phi_;
  const RunShape& shape_;
  const Statistics& stats_;
  const SteinFieldData& field_;  // nonlinear fcn with Stein: the conditional field's tables
  const ProgressFn& progress_;
  CheckpointWriter& writer_;
};

}  // namespace fwmc
