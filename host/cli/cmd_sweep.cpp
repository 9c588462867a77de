// fwmc sweep: the run at several widths (one output directory per width, finished widths skipped on a rerun),
// then the width-scaling table, log-log fits, figures and report.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fwmc/atomic_file.hpp"
#include "fwmc/checkpoint.hpp"
#include "fwmc/comm.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/device_select.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/output_folder.hpp"
#include "fwmc/provenance.hpp"
#include "fwmc/run_plan.hpp"
#include "fwmc/safe_file.hpp"
#include "fwmc/sweep_report.hpp"
#include "fwmc/version.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/progress.hpp"
#include "host/cli/run_folder.hpp"

namespace fwmc::cli {

namespace {

// Hidden widths for sweep width n: every layer n, or the pattern ("n,50,n").
std::vector<int> widths_for(const Config& c, const std::string& pattern, int n) {
  if (pattern.empty()) return std::vector<int>(c.model.widths.size(), n);
  std::vector<int> w;
  std::stringstream ss(pattern);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    if (tok == "n") {
      w.push_back(n);
      continue;
    }
    char* end = nullptr;
    const long v = std::strtol(tok.c_str(), &end, 10);
    if (tok.empty() || *end || v < 1 || v > kMaxWidth)
      throw InputError("--widths-pattern \"" + pattern + "\": '" + tok + "' is not n or a width from 1 to " +
                       std::to_string(kMaxWidth));
    w.push_back(static_cast<int>(v));
  }
  return w;
}

// An earlier sweep's folder (or an empty one): what fwmc sweep writes, and nothing else but the lock.
bool looks_like_sweep(const std::string& dir) {
  bool sweep = false, other = false;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n == ".fwmc.lock") continue;
    if (n == "sweep.json" || n == "data_x.npy" || n.rfind("width_", 0) == 0)
      sweep = true;
    else if (n != "sweep.csv" && n != "report.md" && n != "plot_data" && n != "data_y.npy" && n != "data_x_test.npy" &&
             n.rfind("fig_", 0) != 0 && n.rfind(".fwmc-tmp.", 0) != 0)
      other = true;
  }
  return sweep || !other;
}

std::vector<double> diff(const NpyArray& a, const NpyArray& b) {
  std::vector<double> d(a.data.size());
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = a.data[i] - b.data[i];
  return d;
}

void check_sweep_args(const SweepArgs& sa) {
  if (sa.widths.empty())
    throw InputError("--widths: give the widths, e.g. --widths 32,64,128, or [sweep] widths in the config");
  for (int w : sa.widths)
    if (w < 1 || w > kMaxWidth)
      throw InputError("--widths: " + std::to_string(w) + " is not a width from 1 to " + std::to_string(kMaxWidth));
  std::vector<int> sorted = sa.widths;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    throw InputError("--widths: a width is listed twice; use --repeats for repeated runs at one width");
  if (sorted.size() < 2) throw InputError("--widths: a slope needs at least two widths, e.g. --widths 32,64");
  if (!sa.pattern.empty() && sa.pattern.find('n') == std::string::npos)
    throw InputError("--widths-pattern \"" + sa.pattern + "\": has no n, so every width would run the same network");
  if (sa.repeats < 1) throw InputError("--repeats must be >= 1");
  // Every run of the sweep is planned (a config each) before any starts: bound them before allocating.
  constexpr long kMaxRuns = 100000;
  if (static_cast<long>(sa.repeats) * static_cast<long>(sa.widths.size()) > kMaxRuns)
    throw InputError("--repeats " + std::to_string(sa.repeats) + ": " + std::to_string(sa.widths.size()) +
                     " widths x " + std::to_string(sa.repeats) + " repeats is more than the " +
                     std::to_string(kMaxRuns) + " runs a sweep plans");
}

// One run of the sweep: its config and (width, repeat).
struct WidthJob {
  Config c;
  int width = 0, repeat = 0;
};

// Every width's config, validated before anything runs.
std::vector<WidthJob> width_jobs(const Config& base, const SweepArgs& sa) {
  std::vector<WidthJob> jobs;
  const std::string& dir = base.output.dir;
  for (int n : sa.widths)
    for (int r = 0; r < sa.repeats; ++r) {
      Config c = base;
      c.model.widths = widths_for(base, sa.pattern, n);
      const bool uniform_sigma =
          std::equal(base.model.sigma.begin() + 1, base.model.sigma.end(), base.model.sigma.begin());
      if (c.model.widths.size() != base.model.widths.size()) {
        if (!uniform_sigma)
          throw InputError("--widths-pattern \"" + sa.pattern +
                           "\": changes the depth but [model] sigma is a per-layer list");
        c.model.sigma.assign(c.model.widths.size() + 1, base.model.sigma[0]);
      }
      c.sampler.seed = base.sampler.seed + 1000003ULL * r;
      c.output.dir = dir + "/width_" + std::to_string(n) + (sa.repeats > 1 ? "_r" + std::to_string(r) : "");
      jobs.push_back({c, n, r});
    }
  return jobs;
}

// Every width must see the same data: synthetic data is materialised once (a synthetic teacher would otherwise
// change with the width), as are arrays given in memory, and every run is pointed at the files. The bytes are made here
// and written only after the earlier runs in the folder were checked against them.
struct SweepData {
  std::vector<std::pair<std::string, std::string>> files;  // path, npy bytes
  std::vector<DataFileHash> hashes;
};

SweepData materialise_data(const Config& base, const InputArrays* arrays, std::vector<WidthJob>& jobs) {
  SweepData out;
  if (base.data.kind != "synthetic" && base.data.kind != "arrays") return out;
  const std::string& dir = base.output.dir;
  const Dataset d = load_dataset(base, arrays);
  const Eigen::MatrixXd Xtr = d.X.topRows(d.P), Xte = d.X.bottomRows(d.P_test);
  std::vector<std::size_t> shape = {static_cast<std::size_t>(d.P)};
  for (int v : d.input_shape) shape.push_back(v);
  auto rows_of = [](const Eigen::MatrixXd& m) {
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> r = m;
    return std::vector<double>(r.data(), r.data() + r.size());
  };
  auto add = [&](const std::string& key, const std::string& path, const std::vector<std::size_t>& sh,
                 const std::vector<double>& v) {
    out.files.emplace_back(path, npy_bytes(sh, v.data()));
    const std::string& b = out.files.back().second;
    out.hashes.push_back({key, path, b.size(), fnv1a(b.data(), b.size())});
  };
  add("data.x", dir + "/data_x.npy", shape, rows_of(Xtr));
  add("data.y", dir + "/data_y.npy", {static_cast<std::size_t>(d.P), static_cast<std::size_t>(d.n_out())},
      rows_of(d.Y));
  shape[0] = d.P_test;
  if (d.P_test > 0) add("data.x_test", dir + "/data_x_test.npy", shape, rows_of(Xte));
  for (auto& j : jobs) {
    Config& c = j.c;
    c.data.kind = "npy";
    c.data.x = dir + "/data_x.npy";
    c.data.y = dir + "/data_y.npy";
    c.data.x_test = d.P_test > 0 ? dir + "/data_x_test.npy" : "";
    c.data.n_train = c.data.n_test = 0;
    c.data.normalize = "none";  // already applied
  }
  return out;
}

// Checks a width's folder against the run it will be: a run of another setup is an InputError naming what
// differs, unless --force (then it is rerun).
FolderSurvey survey_width(const Config& c, const std::string& dir, const std::string& backend, const SweepData& data,
                          bool force) {
  const Provenance now = data.hashes.empty() ? provenance_of(c, backend, world().size())
                                             : provenance_of(c, backend, world().size(), data.hashes);
  FolderSurvey s = survey_run_folder(c, now);
  if (!s.differs.empty() && !force)
    throw InputError("--out " + dir + ": " + c.output.dir + " is from another setup (" + s.differs +
                     "); use --force to rerun it, or another --out");
  return s;
}

// A finished width's rows (one per layer) and, for its first repeat, the kernels for the scatter figure.
void read_width_results(const WidthJob& job, std::vector<SweepRow>& rows, std::vector<ScatterSet>& scatter) {
  const std::string summary = job.c.output.dir + "/summary.json";
  const auto j = nlohmann::json::parse(read_regular_file(summary, std::uintmax_t(256) << 20));
  for (const auto& l : j["layers"]) {
    if (!l.contains("frob_dK_th")) throw RuntimeError("fwmc sweep: " + summary + " has no theory to compare with");
    SweepRow r;
    r.width = job.width;
    r.repeat = job.repeat;
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
      const std::string p = job.c.output.dir + "/K" + std::to_string(r.layer);
      const NpyArray nngp = read_npy(p + "_nngp.npy");
      const NpyArray mean = read_npy(p + "_mean.npy");
      scatter.push_back({r.layer, r.width, diff(mean, nngp), diff(read_npy(p + "_theory.npy"), nngp),
                         read_npy(p + "_mcse.npy").data, mean.shape});
    }
  }
}

void print_sweep(std::FILE* out, const std::string& dir, const SweepArgs& sa, std::size_t runs, bool figures,
                 const std::string& note) {
  const auto j = nlohmann::json::parse(read_regular_file(dir + "/sweep.json", std::uintmax_t(256) << 20));
  std::fprintf(out, "fwmc sweep: %zu runs, widths", runs);
  for (int w : sa.widths) std::fprintf(out, " %d", w);
  std::fprintf(out, "\n  layer  slope ||dK_exp|| (expect -1)  with its 1/n^2 term    slope residual (expect -2)\n");
  for (const auto& f : j["fits"]) {
    const auto& nx = f["dK_exp_next_order"];
    char next[64] = "n/a";
    if (nx["points"].get<int>() >= 4)
      std::snprintf(next, sizeof next, "%6.3f +- %.3f", nx["slope"].get<double>(), nx["slope_se"].get<double>());
    std::fprintf(out, "  %5d  %6.3f +- %.3f              %-20s  %6.3f +- %.3f (%d points)\n", f["layer"].get<int>(),
                 f["dK_exp"]["slope"].get<double>(), f["dK_exp"]["slope_se"].get<double>(), next,
                 f["residual_bias_corrected"]["slope"].get<double>(),
                 f["residual_bias_corrected"]["slope_se"].get<double>(),
                 f["residual_bias_corrected"]["points"].get<int>());
  }
  if (!figures) std::fprintf(out, "  warning: %s\n", note.c_str());
  std::fprintf(out, "  wrote %s/ (sweep.csv, sweep.json, %sreport.md, width_<n>/)\n", dir.c_str(),
               figures ? "fig_deviation.{png,svg}, fig_scatter.{png,svg}, " : "");
}

}  // namespace

int cmd_sweep(const CommonArgs& a, const SweepArgs& given) {
  const Config base = resolve_config(a);
  // The config's [sweep] section, where the command line gives nothing.
  SweepArgs sa = given;
  if (sa.widths.empty()) sa.widths = base.sweep.widths;
  if (sa.pattern.empty()) sa.pattern = base.sweep.pattern;
  if (sa.repeats == 0) sa.repeats = base.sweep.repeats;
  check_sweep_args(sa);
  std::vector<WidthJob> jobs = width_jobs(base, sa);
  // Before the folder is touched: an unknown sampler or a missing device (every width runs on the same one).
  resolve_sampler(base);
  const std::string backend = choose_device(base).cuda ? "cuda" : "cpu";
  // The sweep folder: locked; reused when it holds an earlier sweep (finished widths are kept when their
  // provenance matches); a folder of something else is refused unless --force.
  const std::string& dir = base.output.dir;
  OutputFolder folder(dir, OutputFolder::Mode::reuse, "--out");
  if (!a.force && !looks_like_sweep(dir))
    throw InputError("--out " + dir +
                     ": exists, is not empty and holds no fwmc sweep; use --force to write into it, or another folder");
  const SweepData data = materialise_data(base, a.arrays, jobs);
  std::vector<FolderSurvey> have(jobs.size());
  for (std::size_t k = 0; k < jobs.size(); ++k) have[k] = survey_width(jobs[k].c, dir, backend, data, a.force);
  for (const auto& [path, bytes] : data.files) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) || file_fnv1a(path) != fnv1a(bytes.data(), bytes.size()))
      write_file_atomic(path, bytes);
  }
  std::vector<SweepRow> rows;
  std::vector<ScatterSet> scatter;
  for (std::size_t k = 0; k < jobs.size(); ++k) {
    if (have[k].holds == FolderHolds::finished) {
      std::fprintf(a.log, "fwmc sweep: [%zu/%zu] width %d: finished earlier, reusing %s/summary.json\n", k + 1,
                   jobs.size(), jobs[k].width, jobs[k].c.output.dir.c_str());
    } else {
      JobOptions opt;
      opt.log = a.log;
      opt.force = true;  // what is there is a run of this width that did not finish, or (--force) of another setup
      if (have[k].holds == FolderHolds::resumable) opt.resume = &have[k].checkpoint;
      std::fprintf(a.log, "fwmc sweep: [%zu/%zu] width %d%s\n", k + 1, jobs.size(), jobs[k].width,
                   opt.resume ? " (resuming its checkpoint)" : "");
      run_job(jobs[k].c, progress_of(a), opt);
    }
    read_width_results(jobs[k], rows, scatter);
  }
  std::string note;
  const bool figures = write_sweep_report(dir, rows, scatter, note);
  print_sweep(a.report, dir, sa, jobs.size(), figures, note);
  return 0;
}

}  // namespace fwmc::cli
