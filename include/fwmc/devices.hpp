// What accelerators the process can see. A missing driver or device is reported quietly as zero devices.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace fwmc {

bool cuda_compiled();
// Names of the visible CUDA devices (empty when none, or when the CUDA backend is not compiled in).
std::vector<std::string> cuda_devices();
// Free memory of CUDA device `ordinal` in bytes (0 when none); makes it the current device.
std::size_t cuda_free_memory(int ordinal);

}  // namespace fwmc
