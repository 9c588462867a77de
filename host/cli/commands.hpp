// The fwmc subcommands. Each returns the process exit code; errors propagate as exceptions.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "fwmc/checkpoint.hpp"
#include "fwmc/config.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/run_sampling.hpp"
#include "fwmc/run_summary.hpp"

namespace fwmc::cli {

struct CommonArgs {
  std::string config_path;                      // empty: config_text, or the embedded default
  std::string config_text;                      // a config given as text (the Python API's dicts), read when no path
  std::string config_source = "<config dict>";  // names config_text in messages
  std::string out_dir;                          // empty: [output] dir
  std::vector<std::string> overrides;           // --set section.key=value
  bool dry_run = false;                         // run: validate and print the memory model, sample nothing
  bool force = false;                   // write into an existing, non-empty output directory (sweep: rerun mismatches)
  std::string resume_dir;               // run: continue the run whose checkpoint is in this directory
  bool resume_or_start = false;         // run: start, continue the interrupted run, or do nothing if it finished
  const InputArrays* arrays = nullptr;  // [data] kind = "arrays": the data, given in memory
  std::FILE* report = stdout;           // where the printed report goes (the Python API collects it)
  std::FILE* log = stderr;              // where the run's header and notes go
  ProgressFn progress;                  // empty: the terminal progress line
};

Config resolve_config(const CommonArgs& a);

// One sampling job: validate, theory, sample, compare, write c.output.dir. Returns what it measured.
// How run_job treats the output directory and checkpoints: `identity` (the config's text, path and overrides)
// goes into every checkpoint so that `fwmc run --resume DIR` can rebuild the config; `resume` continues a run.
struct JobOptions {
  bool force = false;
  const CheckpointData* resume = nullptr;
  std::vector<std::pair<std::string, std::string>> identity;
  const InputArrays* arrays = nullptr;  // [data] kind = "arrays"
  std::FILE* log = stderr;              // the run's header and notes
};
JobResult run_job(const Config& c, const ProgressFn& progress, const JobOptions& opt = {});
// The checkpoint file of MPI rank `rank` (rank 0: checkpoint.bin, which also carries the config for --resume).
std::string checkpoint_path(const std::string& dir, int rank);
int cmd_theory(const CommonArgs& a);
int cmd_run(const CommonArgs& a);
// Prints a finished job's report (the table, diagnostics and warnings); returns the exit code.
int report_job(const Config& c, const JobResult& job, std::FILE* out = stdout);
int cmd_oracle(const CommonArgs& a, long draws);
// The sweep's widths, pattern and repeats; empty (repeats 0): the config's [sweep] section.
struct SweepArgs {
  std::vector<int> widths;
  std::string pattern;  // e.g. "n,50,n": per hidden layer, n = the sweep width
  int repeats = 0;
};
int cmd_sweep(const CommonArgs& a, const SweepArgs& s);
std::string version_text();
// An error message made safe for a terminal: non-text bytes escaped, very long words shortened.
std::string printable(const std::string& msg);

}  // namespace fwmc::cli
