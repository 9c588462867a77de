// Device query for the CUDA build: any runtime error (no driver, no device) means zero devices.
#include "fwmc/devices.hpp"
#include "kernels/cuda_check.cuh"

namespace fwmc {

bool cuda_compiled() { return true; }

std::vector<std::string> cuda_devices() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error: no device is not a failure
    return {};
  }
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    names.push_back(std::string(p.name) + " (" + std::to_string(p.totalGlobalMem >> 20) + " MiB, sm_" +
                    std::to_string(p.major) + std::to_string(p.minor) + ")");
  }
  return names;
}

std::size_t cuda_free_memory(int ordinal) {
  if (cuda_devices().empty()) return 0;
  std::size_t free_b = 0, total = 0;
  if (cudaSetDevice(ordinal) != cudaSuccess || cudaMemGetInfo(&free_b, &total) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return free_b;
}

}  // namespace fwmc
