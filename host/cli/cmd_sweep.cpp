// fwmc sweep: the run at several widths (one output directory per width, finished widths skipped on a rerun),
// then the width-scaling table, log-log fits, figures and report.
#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fwmc/data.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/io.hpp"
#include "fwmc/sweep.hpp"
#include "fwmc/version.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/progress.hpp"

namespace fwmc::cli {

namespace {

// Hidden widths for sweep width n: every layer n, or the pattern ("n,50,n").
std::vector<int> widths_for(const Config& c, const std::string& pattern, int n) {
  if (pattern.empty()) return std::vector<int>(c.model.widths.size(), n);
  std::vector<int> w;
  std::stringstream ss(pattern);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    if (tok == "n") { w.push_back(n); continue; }
    char* end = nullptr;
    const long v = std::strtol(tok.c_str(), &end, 10);
    if (tok.empty() || *end || v < 1) throw InputError("--widths-pattern \"" + pattern + "\": '" + tok + "' is not n or a positive width");
    w.push_back(static_cast<int>(v));
  }
  return w;
}

std::vector<double> diff(const NpyArray& a, const NpyArray& b) {
  std::vector<double> d(a.data.size());
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = a.data[i] - b.data[i];
  return d;
}

}  // namespace

int cmd_sweep(const CommonArgs& a, const SweepArgs& sa) {
  const Config base = resolve_config(a);
  if (sa.widths.empty()) throw InputError("--widths: give at least one width, e.g. --widths 32,64,128");
  for (int w : sa.widths)
    if (w < 1) throw InputError("--widths: " + std::to_string(w) + " is not a positive width");
  {
    std::vector<int> sorted = sa.widths;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
      throw InputError("--widths: a width is listed twice; use --repeats for repeated runs at one width");
    if (sorted.size() < 2) throw InputError("--widths: a slope needs at least two widths, e.g. --widths 32,64");
  }
  if (!sa.pattern.empty() && sa.pattern.find('n') == std::string::npos)
    throw InputError("--widths-pattern \"" + sa.pattern + "\": has no n, so every width would run the same network");
  if (sa.repeats < 1) throw InputError("--repeats must be >= 1");
  // Validate every width's config before running anything.
  std::vector<Config> jobs;
  std::vector<std::pair<int, int>> tags;  // (width, repeat)
  const std::string dir = base.output.dir;
  for (int n : sa.widths)
    for (int r = 0; r < sa.repeats; ++r) {
      Config c = base;
      c.model.widths = widths_for(base, sa.pattern, n);
      const bool uniform_sigma = std::equal(base.model.sigma.begin() + 1, base.model.sigma.end(), base.model.sigma.begin());
      if (c.model.widths.size() != base.model.widths.size()) {
        if (!uniform_sigma)
          throw InputError("--widths-pattern \"" + sa.pattern + "\": changes the depth but [model] sigma is a per-layer list");
        c.model.sigma.assign(c.model.widths.size() + 1, base.model.sigma[0]);
      }
      c.sampler.seed = base.sampler.seed + 1000003ULL * r;
      c.output.dir = dir + "/width_" + std::to_string(n) + (sa.repeats > 1 ? "_r" + std::to_string(r) : "");
      jobs.push_back(c);
      tags.emplace_back(n, r);
    }
  prepare_output_dir(dir);
  // Every width must see the same data: materialise it once (a synthetic teacher would otherwise change with the
  // width) and point each run at the files.
  if (base.data.kind == "synthetic") {
    const Dataset d = load_dataset(base);
    const Eigen::MatrixXd Xtr = d.X.topRows(d.P), Xte = d.X.bottomRows(d.P_test);
    std::vector<std::size_t> shape = {static_cast<std::size_t>(d.P)};
    for (int v : d.input_shape) shape.push_back(v);
    auto rows_of = [](const Eigen::MatrixXd& m) {
      Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> r = m;
      return std::vector<double>(r.data(), r.data() + r.size());
    };
    write_tensor_npy(dir + "/data_x.npy", shape, rows_of(Xtr));
    write_tensor_npy(dir + "/data_y.npy", {static_cast<std::size_t>(d.P), static_cast<std::size_t>(d.n_out())}, rows_of(d.Y));
    shape[0] = d.P_test;
    if (d.P_test > 0) write_tensor_npy(dir + "/data_x_test.npy", shape, rows_of(Xte));
    for (auto& c : jobs) {
      c.data.kind = "npy";
      c.data.x = dir + "/data_x.npy";
      c.data.y = dir + "/data_y.npy";
      c.data.x_test = d.P_test > 0 ? dir + "/data_x_test.npy" : "";
      c.data.n_train = c.data.n_test = 0;
      c.data.normalize = "none";  // already applied
    }
  }
  std::vector<SweepRow> rows;
  std::vector<ScatterSet> scatter;
  for (std::size_t k = 0; k < jobs.size(); ++k) {
    const Config& c = jobs[k];
    const std::string summary = c.output.dir + "/summary.json";
    if (std::filesystem::exists(summary)) {
      std::fprintf(stderr, "fwmc sweep: [%zu/%zu] width %d: finished earlier, reusing %s\n", k + 1, jobs.size(),
                   tags[k].first, summary.c_str());
    } else {
      // An interrupted width continues from its checkpoint; leftovers without one are overwritten.
      const std::string ckpt = c.output.dir + "/checkpoint.bin";
      JobOptions opt;
      opt.force = true;
      std::optional<CheckpointData> ck;
      if (std::filesystem::exists(ckpt)) {
        ck = read_checkpoint(ckpt);
        if (ck->config_hash == config_hash(c) && ck->version == kVersion) opt.resume = &*ck;
      }
      std::fprintf(stderr, "fwmc sweep: [%zu/%zu] width %d%s\n", k + 1, jobs.size(), tags[k].first,
                   opt.resume ? " (resuming its checkpoint)" : "");
      run_job(c, make_progress_printer(), opt);
    }
    const auto j = nlohmann::json::parse(std::ifstream(summary));
    for (const auto& l : j["layers"]) {
      if (!l.contains("frob_dK_th")) throw RuntimeError("fwmc sweep: " + summary + " has no theory to compare with");
      SweepRow r;
      r.width = tags[k].first;
      r.repeat = tags[k].second;
      r.layer = l["layer"];
      r.dK_exp = l["frob_dK_exp"];
      r.dK_exp_se = l["frob_dK_exp_se"];
      r.dK_th = l["frob_dK_th"];
      r.exp_minus_th = l["frob_exp_minus_th"];
      r.exp_minus_th_se = l["frob_exp_minus_th_se"];
      // Bias-corrected residual: the squared norm of pure noise is sum MCSE^2 (+ the theory's own SE^2).
      const double noise2 = std::pow(l["frob_mcse"].get<double>(), 2) + std::pow(l["frob_dK_th_se"].get<double>(), 2);
      r.residual_bc = std::sqrt(std::max(0.0, r.exp_minus_th * r.exp_minus_th - noise2));
      r.noise = std::sqrt(noise2);
      r.rel_err = l["rel_err"];
      const auto& rh = j["diagnostics"]["rhat_max"];  // null when no trace had a finite R-hat
      r.rhat_max = rh.is_number() ? rh.get<double>() : std::numeric_limits<double>::quiet_NaN();
      r.ess_bulk_min = j["diagnostics"]["ess_bulk_min"].is_null() ? 0.0 : j["diagnostics"]["ess_bulk_min"].get<double>();
      r.seconds = j["timing"]["total_s"];
      rows.push_back(r);
      if (r.repeat == 0) {
        const std::string p = c.output.dir + "/K" + std::to_string(r.layer);
        const NpyArray nngp = read_npy(p + "_nngp.npy");
        const NpyArray mean = read_npy(p + "_mean.npy");
        scatter.push_back({r.layer, r.width, diff(mean, nngp), diff(read_npy(p + "_theory.npy"), nngp),
                           read_npy(p + "_mcse.npy").data, mean.shape});
      }
    }
  }
  std::string note;
  const bool figures = write_sweep_report(dir, rows, scatter, note);
  const auto j = nlohmann::json::parse(std::ifstream(dir + "/sweep.json"));
  std::printf("fwmc sweep: %zu runs, widths", jobs.size());
  for (int w : sa.widths) std::printf(" %d", w);
  std::printf("\n  layer  slope ||dK_exp|| (expect -1)  slope residual (expect -2)\n");
  for (const auto& f : j["fits"])
    std::printf("  %5d  %6.3f +- %.3f              %6.3f +- %.3f (%d points)\n", f["layer"].get<int>(),
                f["dK_exp"]["slope"].get<double>(), f["dK_exp"]["slope_se"].get<double>(),
                f["residual_bias_corrected"]["slope"].get<double>(), f["residual_bias_corrected"]["slope_se"].get<double>(),
                f["residual_bias_corrected"]["points"].get<int>());
  if (!figures) std::printf("  warning: %s\n", note.c_str());
  std::printf("  wrote %s/ (sweep.csv, sweep.json, %sreport.md, width_<n>/)\n", dir.c_str(),
              figures ? "fig_deviation.{png,svg}, fig_scatter.{png,svg}, " : "");
  return 0;
}

}  // namespace fwmc::cli
