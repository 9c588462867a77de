// Picking the backend for a job: `device = "auto"` uses CUDA when a device answers, else the CPU, and says which;
// `"cuda"` without a device is an input error.
#pragma once
#include <memory>
#include <string>

#include "fwmc/backend.hpp"
#include "fwmc/comm.hpp"
#include "fwmc/config.hpp"

namespace fwmc {

struct DeviceChoice {
  bool cuda = false;
  int ordinal = 0;          // the CUDA device this process uses: its node-local MPI rank modulo the devices
  std::string description;  // e.g. "cuda:0 NVIDIA H200 (...)" or "cpu (2 threads)"
};

DeviceChoice choose_device(const Config& c);

template <class T>
std::unique_ptr<Backend<T>> make_backend(const DeviceChoice& d) {
  return d.cuda ? make_cuda_backend<T>(d.ordinal) : make_cpu_backend<T>();
}

}  // namespace fwmc
