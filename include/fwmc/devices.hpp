// What accelerators the process can see. A missing driver or device is reported quietly as zero devices.
#pragma once
#include <string>
#include <vector>

namespace fwmc {

bool cuda_compiled();
// Names of the visible CUDA devices (empty when none, or when the CUDA backend is not compiled in).
std::vector<std::string> cuda_devices();

}  // namespace fwmc
