#include "host/cli/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

namespace fwmc::cli {

ProgressFn make_progress_printer() {
  const bool tty = ::isatty(STDERR_FILENO);
  auto last = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  return [tty, last](const Progress& p) {
    const auto now = std::chrono::steady_clock::now();
    const bool done = p.iteration == p.total && p.batch == p.batches;
    if (!tty && !done && now - *last < std::chrono::seconds(10)) return;
    *last = now;
    char line[256];
    std::snprintf(line, sizeof line, "[%-8s] step %ld/%ld  batch %d/%d  %.3g chain-steps/s  accept %.3f  ETA %.0f s",
                  p.phase, p.iteration, p.total, p.batch, p.batches, p.chain_steps_per_s, p.accept_rate, p.eta_s);
    std::string s = line;
    if (tty) {  // a line wider than the terminal would wrap, and each redraw would then add a line
      winsize ws{};
      if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && s.size() >= ws.ws_col)
        s.resize(ws.ws_col - 1);
      std::fprintf(stderr, "\r\033[K%s%s", s.c_str(), done ? "\n" : "");
    } else {
      std::fprintf(stderr, "%s\n", s.c_str());
    }
    std::fflush(stderr);
  };
}

}  // namespace fwmc::cli
