#include "host/cpu/normals.hpp"

#include <algorithm>

namespace fwmc::cpu {

// Philox words for a tile of blocks, then Box-Muller on them, each a loop over the tile without branches or calls:
// vectorised (with an AVX-512 or AVX2 clone picked at load time where the CPU has it; compiled without FMA
// contraction, so the results do not depend on which).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void fill_normals(const shared::RngKey& key, std::uint64_t elem0, long n, double* out) {
  constexpr int B = 128;
  alignas(64) std::uint32_t w[4][B];
  alignas(64) double z[4][B];  // z[j][b]: element 4 (b0 + b) + j
  const std::uint64_t first = elem0 >> 2, last = (elem0 + static_cast<std::uint64_t>(n) + 3) >> 2;
  for (std::uint64_t b0 = first; b0 < last; b0 += B) {
    const int nb = static_cast<int>(std::min<std::uint64_t>(B, last - b0));
    for (int b = 0; b < nb; ++b) {
      const shared::Philox4 r = shared::philox_block(key, static_cast<std::uint32_t>(b0 + b));
      w[0][b] = r.v[0];
      w[1][b] = r.v[1];
      w[2][b] = r.v[2];
      w[3][b] = r.v[3];
    }
    for (int b = 0; b < nb; ++b) {
      shared::box_muller(w[0][b], w[1][b], z[0][b], z[1][b]);
      shared::box_muller(w[2][b], w[3][b], z[2][b], z[3][b]);
    }
    const std::uint64_t lo = std::max(elem0, 4 * b0),
                        hi = std::min(elem0 + static_cast<std::uint64_t>(n), 4 * (b0 + nb));
    for (std::uint64_t e = lo; e < hi; ++e) out[e - elem0] = z[e & 3][(e >> 2) - b0];
  }
}

}  // namespace fwmc::cpu
