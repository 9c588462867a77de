// One error macro family for CUDA runtime / cuBLAS calls: throws fwmc::RuntimeError with file:line.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "fwmc/errors.hpp"

namespace fwmc::cuda {

[[noreturn]] inline void fail(const char* what, const char* code, const char* file, int line) {
  throw RuntimeError(std::string(file) + ":" + std::to_string(line) + ": " + what + " failed: " + code);
}

}  // namespace fwmc::cuda

#define FWMC_CHECK_STATUS(call, ok, name_of)                                                        \
  do {                                                                                              \
    auto fwmc_status_ = (call);                                                                     \
    if (fwmc_status_ != (ok)) ::fwmc::cuda::fail(#call, name_of(fwmc_status_), __FILE__, __LINE__); \
  } while (0)

inline const char* fwmc_cublas_name(cublasStatus_t s) { return cublasGetStatusString(s); }

#define FWMC_CUDA_CHECK(call) FWMC_CHECK_STATUS(call, cudaSuccess, cudaGetErrorString)
#define FWMC_CUBLAS_CHECK(call) FWMC_CHECK_STATUS(call, CUBLAS_STATUS_SUCCESS, fwmc_cublas_name)
