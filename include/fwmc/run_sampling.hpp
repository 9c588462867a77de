// The sampling job: chains in batches, warm-up with step-size adaptation, draws into the kernel accumulators,
// diagnostics at the end. Used by `fwmc run`, the tests and the benchmarks.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "fwmc/checkpoint.hpp"
#include "fwmc/config.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/kernel_accumulator.hpp"
#include "fwmc/model_spec.hpp"
#include "fwmc/run_plan.hpp"
#include "fwmc/stein_estimator.hpp"

namespace fwmc {

struct Progress {
  const char* phase;      // "warmup" | "sampling"
  long iteration, total;  // within the current chain batch
  int batch, batches;
  double chain_steps_per_s, accept_rate, eta_s;
};
using ProgressFn = std::function<void(const Progress&)>;

struct RunDiagnostics {
  double rhat_max = 0, rhat_nested_max = 0, ess_bulk_min = 0, ess_tail_min = 0;
  double accept_rate_mean = 0;
  double drift_z_max = 0;  // largest |first-half vs second-half drift| over traces, in standard errors
  long divergences = 0, nonfinite_events = 0;
  long dropped_nonfinite = 0, dropped_divergent = 0;  // chains dropped (non-finite state; over the divergence budget)
  int nonfinite_chains = 0;
  double step_min = 0, step_max = 0, step_mean = 0;
  int gradients_min = 0, gradients_max = 0;  // gradient evaluations per iteration after warm-up (HMC: leapfrog steps)
  double gradients_mean = 0;
  std::vector<std::string> trace_names;
  std::vector<double> rhat, ess_bulk, ess_tail, rhat_nested, drift_z;  // per trace
};

struct RunResult {
  std::string estimator = "plain";      // what `kernels` holds: "plain" or "stein" (output.estimator)
  std::vector<KernelEstimate> kernels;  // layers 1..L
  // With the Stein statistics accumulated: the plain estimate from the same draws, the comparison of the two,
  // and the control variates C_l (mean 0 exactly); nonlinear nets also the layer-1 pre-activation kernel.
  std::vector<KernelEstimate> plain_kernels, control;
  std::vector<SteinReport> stein;
  bool has_preact = false;
  KernelEstimate preact, preact_plain;
  SteinReport preact_report;
  std::vector<KernelEstimate> spatial_trace;  // cnn: (1/D) sum_i K_l(a,b)_ii per layer (what the readout sees)
  Traces traces;                              // all chains
  RunDiagnostics diag;
  std::vector<double> step_sizes;  // per chain, after warm-up
  double sampling_s = 0, chain_steps_per_s = 0;
  double stein_s = 0;  // of sampling_s, the Stein statistics' (backward pass, GEMMs, field; CPU wall time)
  long chain_steps = 0;
  std::string backend, device;
};

// Checkpoints of a sampling run: the file, the period, what identifies the run (written into every checkpoint
// with `extra` strings the resume needs), and optionally a checkpoint to continue from.
struct CheckpointPolicy {
  std::string path;  // empty: no checkpoints
  double every_s = 600;
  std::uint64_t config_hash = 0;
  std::vector<std::pair<std::string, std::string>> extra;
  const CheckpointData* resume = nullptr;
};

// Writes the policy's start record: its checkpoint file with the config's identity and provenance (policy.extra)
// and no sampling state yet, so that a run killed before its first periodic checkpoint can still be resumed
// (from step 0). run_sampling treats such a checkpoint as a fresh start.
void write_start_checkpoint(const CheckpointPolicy& policy, int ranks);
// Whether a checkpoint holds sampling state (not just a start record).
bool has_sampling_state(const CheckpointData& ck);

// Runs the plan's sampler on data d (the data the plan was made for); phi (P x P) feeds the tr(K Phi) traces.
// With a policy it checkpoints every policy->every_s seconds and when interrupted (then throws Interrupted), and
// resumes from policy->resume with bitwise the same results as an uninterrupted run.
RunResult run_sampling(const RunPlan& plan, const Dataset& d, const Eigen::MatrixXd& phi,
                       const ProgressFn& progress = {}, const CheckpointPolicy* policy = nullptr);

// Diagnostics of a finished run's traces.
RunDiagnostics diagnose(const Traces& t, int groups);

}  // namespace fwmc
