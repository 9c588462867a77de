// What a finished fwmc run measured, and its output contract in memory: the arrays, summary.json, theory.json.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fwmc/cnn_compare.hpp"
#include "fwmc/compare.hpp"
#include "fwmc/named_array.hpp"
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
  int chains = 0;       // the run's chains (all ranks)
  bool worker = false;  // an MPI rank > 0: sampled its share; rank 0 reports and writes
};

// R-hat maxima start at 0 and stay there when no trace had a finite R-hat (e.g. constant traces): not a value.
double rhat_or_nan(double r);
// A diagnostic for the console: "n/a" where the JSON has null.
std::string shown(double x, const char* fmt);

// The output contract of a finished run, in memory: its arrays by file name (K<l>_{mean,mcse,nngp,theory}, traces,
// ...), summary.json (without the files list that publishing adds) and theory.json.
std::vector<NamedArray> run_arrays(const RunPlan& plan, const JobResult& job);
nlohmann::ordered_json run_summary_json(const Config& c, const RunPlan& plan, const JobResult& job,
                                        const Provenance& prov, double theory_s);
nlohmann::ordered_json run_theory_json(const TheoryResult& th);

}  // namespace fwmc
