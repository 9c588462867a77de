#include "fwmc/interrupt.hpp"

#include <csignal>

namespace fwmc {

namespace {
volatile std::sig_atomic_t g_interrupted = 0;
std::atomic<const StopToken*> g_token{nullptr};  // the running job's token, if any
extern "C" void on_signal(int) { g_interrupted = 1; }
}  // namespace

void install_interrupt_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGHUP, on_signal);  // a closed terminal or dropped SSH session: checkpoint and stop, as SIGTERM
}

bool interrupted() {
  if (g_interrupted != 0) return true;
  const StopToken* t = g_token.load();
  return t && t->requested();
}
void clear_interrupt() { g_interrupted = 0; }
void request_interrupt() { g_interrupted = 1; }

StopScope::StopScope(const StopToken& token) : token_(token), previous_(g_token.exchange(&token_)) {}
StopScope::~StopScope() { g_token.store(previous_); }

}  // namespace fwmc
