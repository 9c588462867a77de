// Progress reporting for long runs: a live line on a terminal, plain periodic log lines otherwise.
#pragma once
#include "fwmc/run_sampling.hpp"
#include "host/cli/commands.hpp"

namespace fwmc::cli {

ProgressFn make_progress_printer();
// The caller's progress function, or the terminal progress line when it gave none.
ProgressFn progress_of(const CommonArgs& a);

}  // namespace fwmc::cli
