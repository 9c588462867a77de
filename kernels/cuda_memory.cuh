// Move-only RAII owners for CUDA resources: device memory, a stream, a cuBLAS handle.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <utility>

#include "kernels/cuda_check.cuh"

namespace fwmc::cuda {

class Stream {
 public:
  Stream() { FWMC_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  ~Stream() {
    if (s_) cudaStreamDestroy(s_);
  }
  Stream(Stream&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Stream& operator=(Stream&& o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

class CublasHandle {
 public:
  explicit CublasHandle(cudaStream_t s) {
    FWMC_CUBLAS_CHECK(cublasCreate(&h_));
    FWMC_CUBLAS_CHECK(cublasSetStream(h_, s));
    // Reproducible results: no tensor-core float emulation / reduced-precision reductions.
    FWMC_CUBLAS_CHECK(cublasSetMathMode(h_, CUBLAS_PEDANTIC_MATH));
  }
  ~CublasHandle() {
    if (h_) cublasDestroy(h_);
  }
  CublasHandle(CublasHandle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  CublasHandle& operator=(CublasHandle&& o) noexcept {
    std::swap(h_, o.h_);
    return *this;
  }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  cublasHandle_t get() const { return h_; }

 private:
  cublasHandle_t h_ = nullptr;
};

}  // namespace fwmc::cuda
