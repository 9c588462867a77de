// The width sweep (fwmc sweep, fwmc.sweep): the run at several widths, then the width-scaling table and log-log
// fits. Writing a folder (one subfolder per width, finished widths reused on a rerun, figures and report.md) is
// optional; in memory every width runs on the same materialised data and nothing touches the disk.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fwmc/job.hpp"
#include "fwmc/run_job.hpp"
#include "fwmc/sweep_report.hpp"

namespace fwmc::jobs {

struct SweepRequest {
  JobInput input;
  std::vector<int> widths;  // empty: [sweep] widths
  std::string pattern;      // hidden widths per layer, n the sweep width (e.g. "n,50,n"); empty: [sweep] pattern
  int repeats = 0;          // independent runs per width; 0: [sweep] repeats
  bool write = true;        // false: in memory only
  bool force = false;       // write into a folder of something else; rerun widths of another setup
};

struct SweepRun {
  int width = 0, repeat = 0;
  bool reused = false;  // finished by an earlier sweep into the same folder: read from it
  RunOutcome run;
};

struct SweepOutcome {
  std::vector<int> widths;
  std::vector<SweepRow> rows;      // sweep.csv: one per width, repeat and layer
  nlohmann::ordered_json summary;  // sweep.json: the log-log fits
  std::vector<SweepRun> runs;
  std::string report;   // what `fwmc sweep` prints
  std::string out_dir;  // empty: nothing was written
};

SweepOutcome sweep_job(const SweepRequest& req, const JobHooks& hooks);

}  // namespace fwmc::jobs
