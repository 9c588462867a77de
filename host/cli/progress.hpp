// Progress reporting for long runs: a live line on a terminal, plain periodic log lines otherwise.
#pragma once
#include "fwmc/run_sampling.hpp"

namespace fwmc::cli {

ProgressFn make_progress_printer();

}  // namespace fwmc::cli
