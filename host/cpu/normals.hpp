// Standard normals for the CPU backend in bulk: the same numbers as shared::normal_at, computed a tile of Philox
// blocks at a time in straight loops that the compiler vectorises.
#pragma once
#include <cstdint>

#include "kernels/shared/philox.cuh"

namespace fwmc::cpu {

// out[i] = normal number elem0 + i of key, for i < n.
void fill_normals(const shared::RngKey& key, std::uint64_t elem0, long n, double* out);

// Elements per tile of the backend's RNG loops (a tile's normals live on the stack).
constexpr long kNormalTile = 2048;

}  // namespace fwmc::cpu
