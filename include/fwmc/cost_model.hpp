// A run's CPU time from a count of its multiply-adds, so that a job that would take days on a CPU is refused (or
// announced) before it starts. A rough estimate: calibrated on a 2-core AVX2 host, good to a factor of about 3.
#pragma once
#include "fwmc/config.hpp"
#include "fwmc/model_spec.hpp"

namespace fwmc {

// Seconds for config c with model m on P training inputs (N = P + test inputs) on this machine's CPU cores.
double estimated_cpu_seconds(const Config& c, const ModelSpec& m, int P, int N);

}  // namespace fwmc
