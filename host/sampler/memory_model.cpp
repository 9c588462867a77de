#include <algorithm>

#include "fwmc/memory.hpp"

namespace fwmc {

MemoryEstimate estimate_memory(const ModelSpec& m, int N, int P, const SamplerConfig& s, int batch,
                               const KernelSelection& sel) {
  const std::size_t t = s.precision == "double" ? 8 : 4;
  const std::size_t D = static_cast<std::size_t>(m.total_params());
  std::size_t sum_w = 0, wmax = static_cast<std::size_t>(m.in_channels);
  for (int w : m.widths) { sum_w += w; wmax = std::max<std::size_t>(wmax, w); }
  const std::size_t L = m.widths.size(), nd = m.n_out, Dp = m.positions(), S = m.window_size();
  const std::size_t groups = static_cast<std::size_t>(batch) / std::max(1, s.chains / s.groups);
  MemoryEstimate e;
  // theta, grad, proposal, proposal grad (+ momentum for HMC); Z and H per layer; output and its gradient;
  // two backward scratch buffers; Phi H for the traces; ~8 per-chain doubles.
  const std::size_t state = (s.method == "hmc" ? 5 : 4) * D;
  // cnn: activations carry D positions, and layers >= 2 build im2col patches and their gradient.
  const std::size_t DN = Dp * N, patches = (m.arch != Arch::fcn && L > 1) ? 2 * DN * S * wmax : 0;
  const std::size_t gather = sel.inputs.empty() ? 0 : DN * wmax;  // selected rows copied out per draw
  e.per_chain = t * (state + 2 * DN * sum_w + 2 * N * nd + 2 * DN * wmax + P * Dp * wmax + patches + gather) + 8 * 8;
  // X, Y, Phi; per group the working-precision kernel of one draw and L double accumulators, over the selected
  // entries: (D M)^2, or D M^2 for the spatial diagonal.
  const std::size_t M = static_cast<std::size_t>(sel.count(N));
  const std::size_t entries = (sel.diagonal ? Dp : Dp * Dp) * M * M;
  e.shared = t * (DN * S * m.in_channels + P * nd + static_cast<std::size_t>(P) * P) + groups * entries * (t + 8 * L);
  return e;
}

}  // namespace fwmc
