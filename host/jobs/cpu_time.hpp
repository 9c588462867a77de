// Jobs that would take many hours on a CPU are refused before they start, unless the config asks for the CPU.
#pragma once
#include <string>

#include "fwmc/config.hpp"
#include "fwmc/job.hpp"

namespace fwmc::jobs {

// "about 3.2 hours", "about 12 minutes": an estimate as the messages print it.
std::string duration_text(double seconds);

// On the CPU backend, for runs estimated at `seconds` (cost_model.hpp): an InputError above 4 hours when
// [sampler] device was left to "auto" (no GPU answered), naming the estimate and what to do; a note above 1 hour.
void check_cpu_time(double seconds, const Config& c, const char* what, const JobHooks& hooks);

}  // namespace fwmc::jobs
