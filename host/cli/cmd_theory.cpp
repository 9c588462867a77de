// fwmc theory: NNGP kernels and the leading-order posterior correction, no sampling.
#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "fwmc/atomic_file.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/model_spec.hpp"
#include "fwmc/output_folder.hpp"
#include "fwmc/prior_draws.hpp"
#include "fwmc/theory.hpp"
#include "fwmc/version.hpp"
#include "host/cli/commands.hpp"
#include "host/report/theory_output.hpp"

namespace fwmc::cli {

Config resolve_config(const CommonArgs& a) {
  const std::vector<std::string>& ov = a.overrides;
  Config c = !a.config_path.empty()   ? load_config_file(a.config_path, ov)
             : !a.config_text.empty() ? parse_config(a.config_text, a.config_source, ov)
                                      : load_default_config(ov);
  if (!a.out_dir.empty()) c.output.dir = a.out_dir;
  return c;
}

int cmd_theory(const CommonArgs& a) {
  const Config c = resolve_config(a);
  const auto t0 = std::chrono::steady_clock::now();
  const Dataset d = load_dataset(c, a.arrays);
  const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
  const TheoryResult t = compute_theory(m, d, theory_options(c), backend_prior_source(choose_device(c), m, d));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  OutputFolder folder(c.output.dir, a.force ? OutputFolder::Mode::force : OutputFolder::Mode::fresh);
  write_theory_arrays(folder.staging_dir(), t);
  nlohmann::ordered_json j;
  j["fwmc_version"] = kVersion;
  j["config"] = nlohmann::ordered_json::parse(config_to_json(c));
  j["data"] = {{"description", d.description},
               {"P", d.P},
               {"P_test", d.P_test},
               {"input_shape", d.input_shape},
               {"n_out", d.n_out()}};
  j["theory"] = theory_json(t);
  j["timing"] = {{"theory_s", secs}};
  folder.publish("theory.json", j);  // the manifest, last

  std::fprintf(a.report, "fwmc theory: %s, %d hidden layer(s), %s, P = %d (+%d test), n_d = %d\n", c.model.arch.c_str(),
               m.depth(), c.model.activation.c_str(), d.P, d.P_test, d.n_out());
  std::fprintf(a.report, "  method %s, cond(Gamma) = %.3g\n", t.method.c_str(), t.phi.gamma_cond);
  for (const auto& lt : t.layers) {
    double norm, se;
    theory_correction_norm(lt, norm, se);
    if (lt.has_theory && se > 0)
      std::fprintf(a.report, "  layer %d: ||K0||_F = %.6g  ||K_th - K0||_F = %.6g +- %.2g\n", lt.layer,
                   lt.nngp.frobenius(), norm, se);
    else if (lt.has_theory)
      std::fprintf(a.report, "  layer %d: ||K0||_F = %.6g  ||K_th - K0||_F = %.6g\n", lt.layer, lt.nngp.frobenius(),
                   norm);
    else
      std::fprintf(a.report, "  layer %d: ||K0||_F = %.6g\n", lt.layer, lt.nngp.frobenius());
  }
  for (const auto& w : t.warnings) std::fprintf(a.report, "  warning: %s\n", w.c_str());
  std::fprintf(a.report, "  wrote %s/ (theory.json, K<l>_nngp.npy, K<l>_theory.npy) in %.2f s\n", c.output.dir.c_str(),
               secs);
  return 0;
}

}  // namespace fwmc::cli
