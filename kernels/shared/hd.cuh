// FWMC_HD marks functions compiled for both host and device: __host__ __device__ under nvcc, nothing under g++.
#pragma once
#ifdef __CUDACC__
#define FWMC_HD __host__ __device__ __forceinline__
#else
#define FWMC_HD inline
#endif
