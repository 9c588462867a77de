// fwmc theory and fwmc oracle as jobs.
#include "fwmc/theory_job.hpp"

#include <chrono>
#include <optional>

#include "fwmc/device_select.hpp"
#include "fwmc/model_spec.hpp"
#include "fwmc/output_folder.hpp"
#include "fwmc/prior_draws.hpp"
#include "fwmc/version.hpp"
#include "host/jobs/appendf.hpp"
#include "host/report/theory_output.hpp"

namespace fwmc::jobs {

namespace {

// The folder is claimed before the work starts, so that a busy or non-empty one is refused at once.
void claim(std::optional<OutputFolder>& f, const Config& c, bool write, bool force) {
  if (write) f.emplace(c.output.dir, force ? OutputFolder::Mode::force : OutputFolder::Mode::fresh);
}

void publish(std::optional<OutputFolder>& folder, const std::vector<NamedArray>& arrays, const std::string& manifest,
             nlohmann::ordered_json& j, std::string& out_dir) {
  if (!folder) return;
  write_named_arrays(folder->staging_dir(), arrays);
  folder->publish(manifest, j);  // the manifest, last
  out_dir = folder->dir();
}

std::string theory_report(const Config& c, const ModelSpec& m, const Dataset& d, const TheoryResult& t,
                          const std::string& out_dir, double secs) {
  std::string s;
  appendf(s, "fwmc theory: %s, %d hidden layer(s), %s, P = %d (+%d test), n_d = %d\n", name_of(c.model.arch), m.depth(),
          name_of(c.model.activation), d.P, d.P_test, d.n_out());
  appendf(s, "  method %s, cond(Gamma) = %.3g\n", t.method.c_str(), t.phi.gamma_cond);
  for (const auto& lt : t.layers) {
    double norm, se;
    theory_correction_norm(lt, norm, se);
    if (lt.has_theory && se > 0)
      appendf(s, "  layer %d: ||K0||_F = %.6g  ||K_th - K0||_F = %.6g +- %.2g\n", lt.layer, lt.nngp.frobenius(), norm,
              se);
    else if (lt.has_theory)
      appendf(s, "  layer %d: ||K0||_F = %.6g  ||K_th - K0||_F = %.6g\n", lt.layer, lt.nngp.frobenius(), norm);
    else
      appendf(s, "  layer %d: ||K0||_F = %.6g\n", lt.layer, lt.nngp.frobenius());
  }
  for (const auto& w : t.warnings) appendf(s, "  warning: %s\n", w.c_str());
  if (!out_dir.empty())
    appendf(s, "  wrote %s/ (theory.json, K<l>_nngp.npy, K<l>_theory.npy) in %.2f s\n", out_dir.c_str(), secs);
  return s;
}

std::string oracle_report(const OracleResult& r, const std::string& out_dir) {
  std::string s;
  appendf(s, "fwmc oracle: %ld prior draws in %.1f s, importance ESS %.0f (largest weight share %.3g)\n", r.draws,
          r.seconds, r.ess, r.max_weight_share);
  for (std::size_t l = 0; l < r.kernels.size(); ++l)
    appendf(s, "  layer %zu: ||<K>||_F = %.6g, ||MCSE||_F = %.3g\n", l + 1, r.kernels[l].mean.frobenius(),
            r.kernels[l].mcse.frobenius());
  for (const auto& w : r.warnings) appendf(s, "  warning: %s\n", w.c_str());
  if (!out_dir.empty()) appendf(s, "  wrote %s/ (oracle.json, K<l>_mean.npy, K<l>_mcse.npy)\n", out_dir.c_str());
  return s;
}

}  // namespace

TheoryOutcome theory_job(const TheoryRequest& req, const JobHooks& hooks) {
  const StopScope stop(hooks.stop);
  const Config c = resolve_config(req.input);
  const auto t0 = std::chrono::steady_clock::now();
  const Dataset d = load_dataset(c, req.input.arrays);
  const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
  std::optional<OutputFolder> folder;
  claim(folder, c, req.write, req.force);
  TheoryOutcome o;
  o.theory = compute_theory(m, d, theory_options(c), backend_prior_source(choose_device(c), m, d));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  add_theory_arrays(o.theory, o.arrays);
  nlohmann::ordered_json& j = o.summary;
  j["fwmc_version"] = kVersion;
  j["config"] = nlohmann::ordered_json::parse(config_to_json(c));
  j["data"] = {{"description", d.description},
               {"P", d.P},
               {"P_test", d.P_test},
               {"input_shape", d.input_shape},
               {"n_out", d.n_out()}};
  j["theory"] = theory_json(o.theory);
  j["timing"] = {{"theory_s", secs}};
  publish(folder, o.arrays, "theory.json", j, o.out_dir);
  o.report = theory_report(c, m, d, o.theory, o.out_dir, secs);
  return o;
}

OracleOutcome oracle_job(const OracleRequest& req, const JobHooks& hooks) {
  const StopScope stop(hooks.stop);
  const Config c = resolve_config(req.input);
  const Dataset d = load_dataset(c, req.input.arrays);
  const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
  std::optional<OutputFolder> folder;
  claim(folder, c, req.write, req.force);
  OracleOutcome o;
  const OracleResult& r = o.oracle = run_oracle(c, m, d, req.draws > 0 ? req.draws : c.theory.draws);
  nlohmann::ordered_json& j = o.summary;
  j["fwmc_version"] = kVersion;
  j["config"] = nlohmann::ordered_json::parse(config_to_json(c));
  j["method"] = "self-normalised importance sampling from the prior, readout integrated out (docs/theory.md 8)";
  j["draws"] = r.draws;
  j["ess"] = r.ess;
  j["max_weight_share"] = r.max_weight_share;
  j["seconds"] = r.seconds;
  j["warnings"] = r.warnings;
  j["layers"] = nlohmann::ordered_json::array();
  for (std::size_t l = 0; l < r.kernels.size(); ++l) {
    const auto& e = r.kernels[l];
    const std::string k = "K" + std::to_string(l + 1);
    o.arrays.push_back({k + "_mean", e.mean.shape(), e.mean.v});
    o.arrays.push_back({k + "_mcse", e.mcse.shape(), e.mcse.v});
    j["layers"].push_back({{"layer", l + 1}, {"frob_mean", e.mean.frobenius()}, {"frob_mcse", e.mcse.frobenius()}});
  }
  publish(folder, o.arrays, "oracle.json", j, o.out_dir);
  o.report = oracle_report(r, o.out_dir);
  return o;
}

}  // namespace fwmc::jobs
