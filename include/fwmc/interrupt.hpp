// SIGINT/SIGTERM: long loops poll interrupted() and throw Interrupted; the CLI exits 130 without writing outputs.
#pragma once
#include <stdexcept>

namespace fwmc {

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

void install_interrupt_handlers();
bool interrupted();
inline void throw_if_interrupted() {
  if (interrupted()) throw Interrupted();
}

}  // namespace fwmc
