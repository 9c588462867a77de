// The fwmc subcommands. Each returns the process exit code; errors propagate as exceptions.
#pragma once
#include <string>
#include <vector>

#include "fwmc/cnn_compare.hpp"
#include "fwmc/compare.hpp"
#include "fwmc/config.hpp"
#include "fwmc/run.hpp"
#include "fwmc/theory.hpp"

namespace fwmc::cli {

struct CommonArgs {
  std::string config_path;             // empty: embedded default
  std::string out_dir;                 // empty: [output] dir
  std::vector<std::string> overrides;  // --set section.key=value
  bool dry_run = false;                // run: validate and print the memory model, sample nothing
};

Config resolve_config(const CommonArgs& a);

// One sampling job: validate, theory, sample, compare, write c.output.dir. Returns what it measured.
struct JobResult {
  TheoryResult theory;
  RunResult run;
  std::vector<LayerComparison> layers;
  std::vector<LayerComparison> spatial_trace;  // cnn only
  std::vector<CnnFormDistance> cnn_forms;       // linear cnn with theory.compare_cnn_forms
  double total_s = 0;
};
JobResult run_job(const Config& c, const ProgressFn& progress);
int cmd_theory(const CommonArgs& a);
int cmd_run(const CommonArgs& a);
int cmd_oracle(const CommonArgs& a, long draws);
struct SweepArgs {
  std::vector<int> widths;
  std::string pattern;  // e.g. "n,50,n": per hidden layer, n = the sweep width
  int repeats = 1;
};
int cmd_sweep(const CommonArgs& a, const SweepArgs& s);
std::string version_text();

}  // namespace fwmc::cli
