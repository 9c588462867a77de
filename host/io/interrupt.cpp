#include "fwmc/interrupt.hpp"

#include <csignal>

namespace fwmc {

namespace {
volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_signal(int) { g_interrupted = 1; }
}  // namespace

void install_interrupt_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGHUP, on_signal);  // a closed terminal or dropped SSH session: checkpoint and stop, as SIGTERM
}

bool interrupted() { return g_interrupted != 0; }
void clear_interrupt() { g_interrupted = 0; }
void request_interrupt() { g_interrupted = 1; }

}  // namespace fwmc
