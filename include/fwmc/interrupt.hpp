// SIGINT/SIGTERM: long loops poll interrupted() and throw Interrupted; the CLI exits 130 without writing outputs.
#pragma once
#include <stdexcept>

namespace fwmc {

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

void install_interrupt_handlers();
bool interrupted();
// For callers that outlive one run (the Python module): clear the flag before a run; ask a run to stop (as a
// signal would) from a progress callback.
void clear_interrupt();
void request_interrupt();
inline void throw_if_interrupted() {
  if (interrupted()) throw Interrupted();
}

}  // namespace fwmc
