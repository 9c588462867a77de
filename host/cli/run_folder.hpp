// What an output folder already holds of a run: its finished results, a checkpoint to continue (or the start
// record of a run killed before sampling), or nothing of it. Used by `fwmc run --resume-or-start` and by
// `fwmc sweep` for each width.
#pragma once
#include <string>

#include "fwmc/checkpoint.hpp"
#include "fwmc/config.hpp"
#include "fwmc/provenance.hpp"

namespace fwmc::cli {

enum class FolderHolds { nothing, finished, resumable };

struct FolderSurvey {
  FolderHolds holds = FolderHolds::nothing;
  std::string differs;        // non-empty: the folder holds a run of another setup, and what differs
  CheckpointData checkpoint;  // when resumable
};

// Surveys c.output.dir against the run `now` describes.
FolderSurvey survey_run_folder(const Config& c, const Provenance& now);

}  // namespace fwmc::cli
