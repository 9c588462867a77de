// fwmc oracle: the exact importance-sampling estimator of docs/theory.md 8.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "fwmc/atomic_file.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/oracle.hpp"
#include "fwmc/output_folder.hpp"
#include "fwmc/version.hpp"
#include "host/cli/commands.hpp"

namespace fwmc::cli {

int cmd_oracle(const CommonArgs& a, long draws) {
  const Config c = resolve_config(a);
  const Dataset d = load_dataset(c, a.arrays);
  const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
  const long M = draws > 0 ? draws : c.theory.draws;
  const OracleResult r = run_oracle(c, m, d, M);
  OutputFolder folder(c.output.dir, a.force ? OutputFolder::Mode::force : OutputFolder::Mode::fresh);
  const std::string& out = folder.staging_dir();
  nlohmann::ordered_json j;
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
    write_tensor_npy(out + "/K" + std::to_string(l + 1) + "_mean.npy", e.mean.shape(), e.mean.v);
    write_tensor_npy(out + "/K" + std::to_string(l + 1) + "_mcse.npy", e.mcse.shape(), e.mcse.v);
    j["layers"].push_back({{"layer", l + 1}, {"frob_mean", e.mean.frobenius()}, {"frob_mcse", e.mcse.frobenius()}});
  }
  folder.publish("oracle.json", j);  // the manifest, last
  std::fprintf(a.report, "fwmc oracle: %ld prior draws in %.1f s, importance ESS %.0f (largest weight share %.3g)\n",
               r.draws, r.seconds, r.ess, r.max_weight_share);
  for (std::size_t l = 0; l < r.kernels.size(); ++l)
    std::fprintf(a.report, "  layer %zu: ||<K>||_F = %.6g, ||MCSE||_F = %.3g\n", l + 1, r.kernels[l].mean.frobenius(),
                 r.kernels[l].mcse.frobenius());
  for (const auto& w : r.warnings) std::fprintf(a.report, "  warning: %s\n", w.c_str());
  std::fprintf(a.report, "  wrote %s/ (oracle.json, K<l>_mean.npy, K<l>_mcse.npy)\n", c.output.dir.c_str());
  return 0;
}

}  // namespace fwmc::cli
