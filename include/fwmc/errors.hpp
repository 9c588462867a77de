// Error types at fwmc's boundaries. The CLI maps InputError to exit 2, everything else to exit 1.
#pragma once
#include <stdexcept>
#include <string>

namespace fwmc {

// Bad user input: config, data files, command-line values. The message names the file/key/value.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A failure at run time that is not the user's input (I/O, device, numerics).
struct RuntimeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace fwmc
