#include "fwmc/run_plan.hpp"

#include <cstdio>

#include "fwmc/errors.hpp"

namespace fwmc {

const SamplerFactory& resolve_sampler(const Config& c) {
  try {
    return find_sampler(c.sampler.method);
  } catch (const InputError& e) {
    throw InputError(c.source + ": " + e.what());
  }
}

namespace {

// chain_batch = 0 on the CPU: the most chains whose per-step vectors fit kCpuStepBytes, in whole chain groups,
// never fewer than 2 chains (or one group) so that both cores' GEMMs have a chain. Each leapfrog or Langevin step
// streams these vectors (state, gradients, proposal, the sampler's own; the activations without the weight
// product) several times: a batch's then stay in the cache. On Fig 1's n = 600 net, batches of 2 took 0.74 of the
// wall time of all 8 chains together (docs/performance.md). A fixed budget, not this machine's cache, so that a
// run resumed elsewhere cuts the same batches. The results do not depend on batching.
constexpr double kCpuStepBytes = 32.0 * (1 << 20);

int cpu_chain_batch(const Config& c, const RunPlan& p) {
  const int chains = c.sampler.chains, cg = chains / c.sampler.groups;
  const double per_chain = double(state_vector_bytes(p)) + (p.weight_product ? 0.0 : double(activation_bytes(p)));
  int best = 0;
  for (int b = cg; b <= chains; b += cg) {
    if (chains % b != 0) continue;
    if (best == 0 && (b >= 2 || b == chains)) best = b;  // the smallest allowed
    if (b >= 2 && b * per_chain <= kCpuStepBytes) best = b;
  }
  return best;
}

}  // namespace

int chain_batch_size(const Config& c, const RunPlan& p, int ranks) {
  const auto& s = c.sampler;
  const int batch = s.chain_batch > 0 ? s.chain_batch : (p.device.cuda ? s.chains : cpu_chain_batch(c, p));
  if (s.chains / batch >= ranks) return batch;
  // Fewer batches than processes: split the chains evenly over the ranks, in whole chain groups (batching never
  // changes the results).
  const int cg = s.chains / s.groups;
  if (s.chains % ranks != 0 || (s.chains / ranks) % cg != 0)
    throw InputError(c.source + ": [sampler] chains = " + std::to_string(s.chains) + " cannot be shared by " +
                     std::to_string(ranks) + " processes in whole chain groups of " + std::to_string(cg) +
                     "; set chain_batch to a multiple of " + std::to_string(cg) + " giving at least " +
                     std::to_string(ranks) + " batches");
  return s.chains / ranks;
}

SamplerSettings sampler_settings(const SamplerConfig& sc) {
  SamplerSettings ss;
  ss.method = sc.method;
  ss.step_size = sc.step_size;
  ss.leapfrog_steps = sc.leapfrog_steps;
  ss.trajectory_length = sc.trajectory_length;
  ss.jitter = sc.jitter;
  ss.target_accept = sc.target_accept;
  ss.adapt = sc.adapt;
  ss.seed = sc.seed;
  ss.mass = sc.mass;
  return ss;
}

namespace {

// Sigmas (and activations, and inputs) whose kernels fall outside what the precision represents would give zero
// kernels or NaN after sampling: refused now, naming model.sigma.
void check_kernel_scale(const Config& c, const ModelSpec& m, const Dataset& d) {
  const KernelRange ok = representable_kernels(c.sampler.precision);
  const auto r = nngp_diagonal_ranges(m, d.X);
  for (std::size_t l = 0; l < r.size(); ++l) {
    if (r[l].lo >= ok.lo && r[l].hi <= ok.hi) continue;
    std::string sigma;
    for (double s : c.model.sigma) {
      char b[32];
      std::snprintf(b, sizeof b, "%s%.6g", sigma.empty() ? "" : ", ", s);
      sigma += b;
    }
    char v[200];
    std::snprintf(v, sizeof v, "%s kernel ranges over %.4g..%.4g, outside [%g, %g]",
                  l + 1 == r.size() ? "the readout's" : ("the layer-" + std::to_string(l + 1)).c_str(), r[l].lo,
                  r[l].hi, ok.lo, ok.hi);
    throw InputError(
        c.source + ": [model] sigma = [" + sigma + "]: " + v + " where " + name_of(c.sampler.precision) +
        " sampling represents it; " + (r[l].hi > ok.hi ? "lower" : "raise") + " sigma" +
        (c.sampler.precision == Precision::f64 ? std::string() : ", or use sampler.precision = \"double\""));
  }
}

}  // namespace

std::size_t RunPlan::entries() const {
  const std::size_t M = static_cast<std::size_t>(selection.count(N)), D = model.positions();
  return D * M * M * (selection.diagonal && D > 1 ? 1 : D);
}

RunPlan plan_run(const Config& c, const Dataset& d, int ranks, bool check_fit) {
  RunPlan p;
  p.source = c.source;
  const SamplerConfig& s = c.sampler;
  p.chains = s.chains, p.groups = s.groups, p.warmup = s.warmup, p.samples = s.samples, p.thin = s.thin;
  p.divergence_budget = s.divergence_budget;
  p.beta = c.posterior.beta;
  p.model = make_model_spec(c.model, d.input_shape, d.n_out());
  p.N = d.N();
  p.P = d.P;
  check_kernel_scale(c, p.model, d);
  p.weight_product = uses_weight_product(p.model, d.P);
  p.sampler = &resolve_sampler(c);
  p.settings = sampler_settings(c.sampler);
  p.device = choose_device(c);
  p.precision = c.sampler.precision;
  p.estimator = c.output.estimator;
  check_kernel_selection(c, d.N());
  p.selection = kernel_selection(c);
  p.ranks = ranks;
  p.chain_batch = chain_batch_size(c, p, ranks);
  p.memory = estimate_memory(p);
  p.theory = theory_options(c);
  if (check_fit) check_memory(p);
  return p;
}

}  // namespace fwmc
