// The sampling job (fwmc run, fwmc.run): validate, compute the theory, sample, compare, and return the output
// contract in memory; writing the output folder (staged, published with summary.json last, checkpoints while it
// runs) is one optional step. Resume and resume-or-start continue an interrupted run from its checkpoint.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "fwmc/checkpoint.hpp"
#include "fwmc/job.hpp"
#include "fwmc/named_array.hpp"
#include "fwmc/run_summary.hpp"

namespace fwmc::jobs {

struct RunOutcome {
  JobResult job;                   // what the run measured, typed
  std::vector<NamedArray> arrays;  // the output arrays by file name (K1_mean, traces, ...)
  nlohmann::ordered_json summary;  // summary.json, as written (without the files list publishing adds)
  nlohmann::ordered_json theory;   // theory.json
  std::string header;              // the run's one-line description, logged before sampling
  std::string report;              // what `fwmc run` prints: the table, diagnostics and warnings
  std::string out_dir;             // where the outputs were written; empty: nowhere
  bool finished_earlier = false;   // resume-or-start found this run's results: nothing ran, no arrays
  bool worker = false;             // an MPI rank > 0: sampled its share; rank 0 has the results
};

enum class Start {
  fresh,            // the output folder must be new or empty
  force,            // replace fwmc's files in it
  resume_or_start,  // start, continue the interrupted run of this config, or do nothing when it finished
};

struct RunRequest {
  JobInput input;
  bool write = true;  // false: the outputs stay in memory (no folder, no checkpoints); start is then ignored
  Start start = Start::fresh;
};

RunOutcome run_job(const RunRequest& req, const JobHooks& hooks);
// Continues the interrupted run in folder `dir` with the config its checkpoint records. A config or overrides in
// `given` must leave that config unchanged (they confirm the run meant); InputError naming what differs.
RunOutcome resume_job(const std::string& dir, const JobInput& given, const JobHooks& hooks);
// fwmc run --dry-run: validates the config and data and describes the memory the run needs; InputError when it
// cannot fit. Samples and writes nothing.
std::string dry_run_text(const JobInput& in);

// One run of an already resolved config: what run_job, resume_job and each width of a sweep call.
struct RunSettings {
  bool write = true;
  bool force = false;                                         // replace fwmc's files in the folder
  const CheckpointData* resume = nullptr;                     // continue from this checkpoint
  std::vector<std::pair<std::string, std::string>> identity;  // config_identity(), into every checkpoint
  const InputArrays* arrays = nullptr;
};
RunOutcome run_config(const Config& c, const RunSettings& s, const JobHooks& hooks);

// The checkpoint file of MPI rank `rank` (rank 0: checkpoint.bin, which also carries the config for resume).
std::string checkpoint_path(const std::string& dir, int rank);

}  // namespace fwmc::jobs
