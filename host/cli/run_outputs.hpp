// The files of a finished fwmc run (docs/output contract): the arrays and summary.json, staged and published.
#pragma once
#include <string>

#include "fwmc/output_folder.hpp"
#include "fwmc/provenance.hpp"
#include "fwmc/run_plan.hpp"
#include "host/cli/commands.hpp"

namespace fwmc::cli {

// R-hat maxima start at 0 and stay there when no trace had a finite R-hat (e.g. constant traces): not a value.
double rhat_or_nan(double r);
// A diagnostic for the console: "n/a" where the JSON has null.
std::string shown(double x, const char* fmt);

// Writes the outputs into the folder's staging area and publishes them, summary.json (the manifest) last.
void publish_outputs(const RunPlan& plan, const JobResult& job, OutputFolder& folder, const Provenance& prov,
                     double theory_s);

}  // namespace fwmc::cli
