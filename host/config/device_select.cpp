#include "fwmc/device_select.hpp"

#include <omp.h>

#include <cstdio>

#include "fwmc/devices.hpp"
#include "fwmc/errors.hpp"

namespace fwmc {

DeviceChoice choose_device(const Config& c) {
  const DeviceKind want = c.sampler.device;
  DeviceChoice d;
  if (want != DeviceKind::cpu) {
    const auto devs = cuda_devices();
    if (!devs.empty()) {
      d.cuda = true;
      d.ordinal = world().local_rank() % static_cast<int>(devs.size());  // one GPU per rank on a node
      d.description = "cuda:" + std::to_string(d.ordinal) + " " + devs[d.ordinal];
      return d;
    }
    if (want == DeviceKind::cuda)
      throw InputError(
          c.source + ": [sampler] device = \"cuda\": no CUDA device answers" +
          std::string(cuda_compiled() ? " (cudaGetDeviceCount reports none)" : " (this build has no CUDA backend)") +
          "; use device = \"auto\" or \"cpu\"");
  }
  d.description = "cpu (" + std::to_string(omp_get_max_threads()) + " threads)";
  return d;
}

}  // namespace fwmc
