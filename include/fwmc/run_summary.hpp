// The files of a finished fwmc run (the output contract): the arrays and summary.json, staged and published.
#pragma once
#include <string>

#include "fwmc/cnn_compare.hpp"
#include "fwmc/compare.hpp"
#include "fwmc/output_folder.hpp"
#include "fwmc/provenance.hpp"
#include "fwmc/run_plan.hpp"
#include "fwmc/run_sampling.hpp"
#include "fwmc/theory.hpp"

namespace fwmc {

// What one sampling job measured: the theory, the run, and their comparison per layer.
struct JobResult {
  TheoryResult theory;
  RunResult run;
  std::vector<LayerComparison> layers;
  std::vector<LayerComparison> spatial_trace;  // cnn only
  std::vector<CnnFormDistance> cnn_forms;      // linear cnn with theory.compare_cnn_forms
  double total_s = 0;
  bool worker = false;  // an MPI rank > 0: sampled its share; rank 0 reports and writes
};

// R-hat maxima start at 0 and stay there when no trace had a finite R-hat (e.g. constant traces): not a value.
double rhat_or_nan(double r);
// A diagnostic for the console: "n/a" where the JSON has null.
std::string shown(double x, const char* fmt);

// Writes the outputs into the folder's staging area and publishes them, summary.json (the manifest) last.
void publish_outputs(const RunPlan& plan, const JobResult& job, OutputFolder& folder, const Provenance& prov,
                     double theory_s);

}  // namespace fwmc
