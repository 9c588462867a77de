// The last check before a run's outputs are written: a NaN or infinity in any output array is a failure (exit 1)
// naming the array and, where fwmc can tell, the key that likely caused it, never a result with exit 0.
#pragma once
#include "fwmc/config.hpp"
#include "fwmc/run_summary.hpp"

namespace fwmc {

// Throws RuntimeError when a kernel array (mean, MCSE, NNGP, theory) has a non-finite entry, or a chain's traces
// have one that is not the tail a dropped chain leaves (NaN from the step it was dropped).
// `where` starts each array's name in the message (the output folder and a slash, or "").
void check_outputs_finite(Precision precision, const std::string& where, const JobResult& job);

}  // namespace fwmc
