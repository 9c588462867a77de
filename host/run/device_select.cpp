#include "fwmc/device_select.hpp"

#include <omp.h>
#include <unistd.h>

#include <cstdio>

#include "fwmc/devices.hpp"
#include "fwmc/errors.hpp"

namespace fwmc {

DeviceChoice choose_device(const Config& c) {
  const std::string& want = c.sampler.device;
  DeviceChoice d;
  if (want != "cpu") {
    const auto devs = cuda_devices();
    if (!devs.empty()) {
      d.cuda = true;
      d.description = "cuda:0 " + devs[0];
      return d;
    }
    if (want == "cuda")
      throw InputError(c.source + ": [sampler] device = \"cuda\": no CUDA device answers" +
                       std::string(cuda_compiled() ? " (cudaGetDeviceCount reports none)"
                                                   : " (this build has no CUDA backend)") +
                       "; use device = \"auto\" or \"cpu\"");
  }
  d.description = "cpu (" + std::to_string(omp_get_max_threads()) + " threads)";
  return d;
}

void check_memory(const Config& c, const DeviceChoice& d, const MemoryEstimate& e, int batch) {
  std::size_t avail = 0;
  if (d.cuda) {
    avail = cuda_free_memory();
  } else {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    avail = pages > 0 && page > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) : 0;
  }
  if (avail == 0) return;
  const std::size_t budget = avail / 10 * 9;
  // On the CPU the host's traces and sums share the same memory as the backend buffers.
  const std::size_t need = d.cuda ? e.total(batch) : e.peak_same_memory(batch);
  if (need <= budget) return;
  const long fit = e.shared < budget ? static_cast<long>((budget - e.shared) / std::max<std::size_t>(e.per_chain, 1)) : 0;
  char msg[512];
  if (fit < 1) {  // not even one chain: the model and data are the problem, not the number of chains
    std::string w;
    for (int x : c.model.widths) w += (w.empty() ? "" : ",") + std::to_string(x);
    std::snprintf(msg, sizeof msg,
                  "%s: [model] widths = [%s]: one chain needs %.3g GiB (%.3g MiB per chain + %.3g MiB shared) but %s "
                  "has %.3g GiB available; use smaller widths or fewer examples (see fwmc run --dry-run)",
                  c.source.c_str(), w.c_str(), (e.per_chain + e.shared) / 1073741824.0, e.per_chain / 1048576.0,
                  e.shared / 1048576.0, d.cuda ? "the GPU" : "this machine", avail / 1073741824.0);
    throw InputError(msg);
  }
  std::snprintf(msg, sizeof msg,
                "%s: [sampler] chains = %d: a batch of %d chains needs %.3g GiB (%.3g MiB per chain + %.3g MiB shared) "
                "but %s has %.3g GiB available; use chain_batch (or chains) <= %ld",
                c.source.c_str(), c.sampler.chains, batch, need / 1073741824.0, e.per_chain / 1048576.0,
                e.shared / 1048576.0, d.cuda ? "the GPU" : "this machine", avail / 1073741824.0, fit);
  throw InputError(msg);
}

}  // namespace fwmc
