// The text of a run: the header logged before sampling, and the report `fwmc run` prints and fwmc.run() returns.
#pragma once
#include <string>

#include "fwmc/dataset.hpp"
#include "fwmc/run_plan.hpp"
#include "fwmc/run_summary.hpp"

namespace fwmc::jobs {

std::string run_header_text(const Config& c, const RunPlan& plan, const Dataset& d);
// out_dir: where the files went (named in the last line); empty: nowhere.
std::string run_report_text(const JobResult& job, const std::string& out_dir);

}  // namespace fwmc::jobs
