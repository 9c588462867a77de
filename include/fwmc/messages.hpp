// The text every front end shows besides reports: the version banner, and error messages made safe for a
// terminal.
#pragma once
#include <string>

namespace fwmc::jobs {

// What `fwmc --version` prints: version, CUDA compiled in?, CPU, BLAS and its kernels, CUDA devices.
std::string version_text();
// An error message made safe for a terminal: non-text bytes escaped, very long words shortened.
std::string printable(const std::string& msg);

}  // namespace fwmc::jobs
