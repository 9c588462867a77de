// The end of a sampling run on rank 0: the assembled totals -> kernel estimates and diagnostics.
#pragma once
#include "fwmc/run_sampling.hpp"
#include "host/run/batch_runner.hpp"
#include "host/run/run_totals.hpp"

namespace fwmc {

RunResult finish_run(const RunTotals& totals, const RunPlan& plan, const Dataset& d, const Statistics& stats);

}  // namespace fwmc
