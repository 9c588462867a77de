// The fwmc subcommands: each turns its parsed arguments into a job's request (host/jobs), runs it with the
// terminal's progress line and prints what it returns. Each returns the process exit code; errors propagate as
// exceptions.
#pragma once
#include <string>
#include <vector>

#include "fwmc/job.hpp"

namespace fwmc::cli {

struct CommonArgs {
  std::string config_path;             // empty: the embedded default
  std::string out_dir;                 // empty: [output] dir
  std::vector<std::string> overrides;  // --set section.key=value
  bool dry_run = false;                // run: validate and print the memory model, sample nothing
  bool force = false;                  // write into an existing, non-empty output directory (sweep: rerun mismatches)
  std::string resume_dir;              // run: continue the run whose checkpoint is in this directory
  bool resume_or_start = false;        // run: start, continue the interrupted run, or do nothing if it finished
};

// The sweep's widths, pattern and repeats; empty (repeats 0): the config's [sweep] section.
struct SweepArgs {
  std::vector<int> widths;
  std::string pattern;  // e.g. "n,50,n": per hidden layer, n = the sweep width
  int repeats = 0;
};

int cmd_run(const CommonArgs& a);
int cmd_theory(const CommonArgs& a);
int cmd_oracle(const CommonArgs& a, long draws);
int cmd_sweep(const CommonArgs& a, const SweepArgs& s);

// The job input and hooks of a command line: the config file or the default, the terminal's progress line,
// notes to stderr.
jobs::JobInput job_input(const CommonArgs& a);
jobs::JobHooks terminal_hooks();

}  // namespace fwmc::cli
