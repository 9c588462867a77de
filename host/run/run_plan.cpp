#include "fwmc/run_plan.hpp"

#include "fwmc/errors.hpp"

namespace fwmc {

const SamplerFactory& resolve_sampler(const Config& c) {
  try {
    return find_sampler(c.sampler.method);
  } catch (const InputError& e) {
    throw InputError(c.source + ": " + e.what());
  }
}

int chain_batch_size(const Config& c, int ranks) {
  const auto& s = c.sampler;
  const int batch = s.chain_batch > 0 ? s.chain_batch : s.chains;
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

namespace {

SamplerSettings sampler_settings(const SamplerConfig& sc) {
  SamplerSettings ss;
  ss.method = sc.method;
  ss.step_size = sc.step_size;
  ss.leapfrog_steps = sc.leapfrog_steps;
  ss.target_accept = sc.target_accept;
  ss.adapt = sc.adapt;
  ss.seed = sc.seed;
  ss.mass = sc.mass;
  return ss;
}

}  // namespace

RunPlan plan_run(const Config& c, const Dataset& d, int ranks, bool check_fit) {
  RunPlan p;
  p.config = c;
  p.model = make_model_spec(c.model, d.input_shape, d.n_out());
  p.N = d.N();
  p.P = d.P;
  p.weight_product = uses_weight_product(p.model, d.P);
  p.sampler = &resolve_sampler(c);
  p.settings = sampler_settings(c.sampler);
  p.device = choose_device(c);
  p.precision = c.sampler.precision == "double" ? Precision::f64 : Precision::f32;
  p.estimator = parse_estimator(c.output.estimator);
  check_kernel_selection(c, d.N());
  p.selection = kernel_selection(c);
  p.ranks = ranks;
  p.chain_batch = chain_batch_size(c, ranks);
  p.memory = estimate_memory(p);
  p.theory = theory_options(c);
  if (check_fit) check_memory(p);
  return p;
}

}  // namespace fwmc
