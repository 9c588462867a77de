#include "host/cli/progress.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>

namespace fwmc::cli {

ProgressFn make_progress_printer() {
  const bool tty = ::isatty(STDERR_FILENO);
  auto last = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  return [tty, last](const Progress& p) {
    const auto now = std::chrono::steady_clock::now();
    const bool done = p.iteration == p.total && p.batch == p.batches;
    if (!tty && !done && now - *last < std::chrono::seconds(10)) return;
    *last = now;
    std::fprintf(stderr, "%s[%-8s] step %ld/%ld  batch %d/%d  %.3g chain-steps/s  accept %.3f  ETA %.0f s%s",
                 tty ? "\r\033[K" : "", p.phase, p.iteration, p.total, p.batch, p.batches, p.chain_steps_per_s,
                 p.accept_rate, p.eta_s, tty ? (done ? "\n" : "") : "\n");
    std::fflush(stderr);
  };
}

}  // namespace fwmc::cli
