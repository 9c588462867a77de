// What an output folder already holds of a run: its finished results, a checkpoint to continue (or the start
// record of a run killed before sampling), or nothing of it: what resume-or-start and each width of a sweep
// check; and reading a finished run back.
#pragma once
#include <string>

#include "fwmc/checkpoint.hpp"
#include "fwmc/config.hpp"
#include "fwmc/provenance.hpp"
#include "fwmc/run_job.hpp"

namespace fwmc::jobs {

enum class FolderHolds { nothing, finished, resumable };

struct FolderSurvey {
  FolderHolds holds = FolderHolds::nothing;
  std::string differs;        // non-empty: the folder holds a run of another setup, and what differs
  CheckpointData checkpoint;  // when resumable
};

// Surveys c.output.dir against the run `now` describes.
FolderSurvey survey_run_folder(const Config& c, const Provenance& now);

// A finished run read back from its folder: summary.json, theory.json and every array its manifest lists (the
// typed JobResult stays empty).
RunOutcome read_run_outcome(const std::string& dir);

}  // namespace fwmc::jobs
