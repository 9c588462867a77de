// Multiply-adds of a run: chains x (iterations x gradient evaluations x the model's U + grad U, plus kept draws x
// the kernel statistics, about entries x width per layer and 3x that with the Stein statistics). Effective rates
// measured on a 2-core Zen 3 (AVX2) host with fwmc's own runs (Fig 1 at P = 1000, widths 100 and 600; Fig 2's
// cnn1d at widths 25 to 200): gradients through the weight product reach about 3% of the cores' single-precision
// FMA peak (small per-chain products that stream the weights), gradients through the layers about 15% (GEMMs over
// the inputs), and the kernel statistics, also GEMMs, about 15%.
#include "fwmc/cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

#include "fwmc/cpu_info.hpp"
#include "fwmc/run_plan.hpp"

namespace fwmc {

double estimated_cpu_seconds(const Config& c, const ModelSpec& m, int P, int N) {
  const auto& s = c.sampler;
  // The configured step size stands in for the adapted one (a trajectory length takes T / h steps).
  const double grads_per_iteration = find_sampler(s.method).gradients_per_iteration(sampler_settings(s), s.step_size);
  const bool product = uses_weight_product(m, P);
  const double grad = product ? product_evaluation_flops(m, P) : layers_evaluation_flops(m, P);
  const double n_sel = c.output.kernel_inputs.empty() ? N : static_cast<double>(c.output.kernel_inputs.size());
  const double D = m.positions();
  const double entries = n_sel * n_sel * (c.output.kernel_positions == KernelPositions::diagonal ? D : D * D);
  double stats = 0;
  for (int w : m.widths) stats += entries * w;
  stats *= c.output.estimator == EstimatorChoice::plain ? 1.0 : 3.0;
  const double iterations = s.warmup + static_cast<double>(s.samples) * s.thin;
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  const double peak_madds = detect_isa().sp_flops_per_cycle() / 2.0 * 2.5e9 * cores;  // 2.5 GHz assumed
  return s.chains * (iterations * grads_per_iteration * grad / ((product ? 0.03 : 0.15) * peak_madds) +
                     s.samples * stats / (0.15 * peak_madds));
}

}  // namespace fwmc
