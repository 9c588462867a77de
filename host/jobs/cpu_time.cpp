#include "host/jobs/cpu_time.hpp"

#include <cstdio>

#include "fwmc/errors.hpp"

namespace fwmc::jobs {

std::string duration_text(double seconds) {
  char b[64];
  if (seconds >= 2 * 86400)
    std::snprintf(b, sizeof b, "about %.1f days", seconds / 86400);
  else if (seconds >= 5400)
    std::snprintf(b, sizeof b, "about %.1f hours", seconds / 3600);
  else
    std::snprintf(b, sizeof b, "about %.0f minutes", std::max(1.0, seconds / 60));
  return b;
}

void check_cpu_time(double seconds, const Config& c, const char* what, const JobHooks& hooks) {
  if (seconds > 4 * 3600 && c.sampler.device == DeviceKind::automatic)
    throw InputError(c.source + ": no GPU answers, and this " + what + " would take " + duration_text(seconds) +
                     " on this machine's CPU (an estimate from its multiply-adds, good to a factor of ~3); run it "
                     "on a GPU, make it smaller (fewer chains, draws or widths: configs/paper/*_cpu.toml are sized "
                     "for 2 cores), or set [sampler] device = \"cpu\" to run it here anyway");
  if (seconds > 3600)
    log_note(hooks, "fwmc: this %s will take %s on the CPU (estimate, good to a factor of ~3)\n", what,
             duration_text(seconds).c_str());
}

}  // namespace fwmc::jobs
