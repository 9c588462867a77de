// Device query for builds without the CUDA backend.
#include "fwmc/devices.hpp"

#ifndef FWMC_WITH_CUDA
namespace fwmc {
bool cuda_compiled() { return false; }
std::vector<std::string> cuda_devices() { return {}; }
std::size_t cuda_free_memory(int) { return 0; }
}  // namespace fwmc
#endif
