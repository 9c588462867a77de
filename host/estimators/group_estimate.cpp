// Group sums -> estimate and MCSE; raw kernels -> KernelTensor order.
#include "fwmc/group_estimate.hpp"

#include <cmath>
#include <limits>

namespace fwmc {

std::vector<double> kernel_order(const std::vector<double>& raw, int groups, int N, int D, bool diag) {
  const std::size_t R = static_cast<std::size_t>(N) * D, per = diag ? R * N : R * R;
  std::vector<double> out(raw.size());
  if (diag) {
    const std::size_t NN = static_cast<std::size_t>(N) * N;
    for (int g = 0; g < groups; ++g)
      for (int i = 0; i < D; ++i)
        for (std::size_t ab = 0; ab < NN; ++ab)  // block i is column-major: (a, b) at a + N b
          out[g * per + ab * D + i] = raw[g * per + i * NN + (ab % N) * N + ab / N];
    return out;
  }
  for (int g = 0; g < groups; ++g)
    for (int a = 0; a < N; ++a)
      for (int b = 0; b < N; ++b)
        for (int i = 0; i < D; ++i)
          for (int j = 0; j < D; ++j)
            out[g * per + ((static_cast<std::size_t>(a) * N + b) * D + i) * D + j] =
                raw[g * per + (static_cast<std::size_t>(i) * N + a) + R * (static_cast<std::size_t>(j) * N + b)];
  return out;
}

KernelEstimate estimate_from_groups(const std::vector<double>& sums, int G, int N, int D,
                                    const std::vector<double>& counts, bool diag) {
  KernelEstimate e{KernelTensor(N, D, diag), KernelTensor(N, D, diag), {}};
  const std::size_t n = e.mean.v.size();
  double total = 0;
  int live = 0;
  for (int g = 0; g < G; ++g) {
    total += counts[g];
    live += counts[g] > 0;
  }
  for (std::size_t i = 0; i < n; ++i) {
    double m = 0;
    for (int g = 0; g < G; ++g) m += sums[g * n + i];
    m /= total;
    // Weighted spread of the group means; with equal counts this is sum (m_g - m)^2 / (G (G - 1)).
    double v = 0;
    for (int g = 0; g < G; ++g)
      if (counts[g] > 0) v += std::pow(counts[g] / total * (sums[g * n + i] / counts[g] - m), 2);
    e.mean.v[i] = m;
    e.mcse.v[i] = live > 1 ? std::sqrt(v * live / (live - 1)) : std::numeric_limits<double>::quiet_NaN();
    // A spread at the rounding level of the mean is no spread (an exact estimator, e.g. Stein at beta = 0): 0, so
    // that z-scores skip the entry instead of dividing by rounding noise.
    if (e.mcse.v[i] <= 64 * std::numeric_limits<double>::epsilon() * std::abs(m)) e.mcse.v[i] = 0;
  }
  return e;
}

GroupMeans group_means(const std::vector<double>& sums, int G, int N, int D, const std::vector<double>& counts,
                       bool diag) {
  GroupMeans out;
  double total = 0;
  for (int g = 0; g < G; ++g) total += counts[g];
  for (int g = 0; g < G; ++g) {
    if (!(counts[g] > 0)) continue;
    KernelTensor m(N, D, diag);
    const std::size_t n = m.v.size();
    for (std::size_t i = 0; i < n; ++i) m.v[i] = sums[g * n + i] / counts[g];
    out.means.push_back(std::move(m));
    out.weights.push_back(counts[g] / total);
  }
  return out;
}

double functional_se(const GroupMeans& g, const std::vector<double>& u) {
  const std::size_t live = g.means.size();
  if (live < 2) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> f(live, 0.0);
  double mean = 0;
  for (std::size_t k = 0; k < live; ++k) {
    const auto& m = g.means[k].v;
    for (std::size_t i = 0; i < u.size(); ++i) f[k] += u[i] * m[i];
    mean += g.weights[k] * f[k];
  }
  double v = 0;
  for (std::size_t k = 0; k < live; ++k) v += std::pow(g.weights[k] * (f[k] - mean), 2);
  return std::sqrt(v * live / (live - 1));
}

}  // namespace fwmc
