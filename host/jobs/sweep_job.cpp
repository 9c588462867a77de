// fwmc sweep as a job: every width's config planned and checked first, the data materialised once, each width
// run (or, writing a folder, reused when an earlier sweep finished it), then the table and the log-log fits.
#include "fwmc/sweep_job.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <sstream>

#include "fwmc/atomic_file.hpp"
#include "fwmc/comm.hpp"
#include "fwmc/cost_model.hpp"
#include "fwmc/device_select.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/output_folder.hpp"
#include "fwmc/provenance.hpp"
#include "fwmc/run_plan.hpp"
#include "host/jobs/appendf.hpp"
#include "host/jobs/cpu_time.hpp"
#include "host/jobs/run_folder.hpp"
#include "host/jobs/sweep_plan.hpp"

namespace fwmc::jobs {

namespace {

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

// Checks a width's folder against the run it will be: a run of another setup is an InputError naming what
// differs, unless forced (then it is rerun).
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

const NamedArray& array_named(const RunOutcome& o, const std::string& name) {
  for (const auto& a : o.arrays)
    if (a.name == name) return a;
  throw RuntimeError("fwmc sweep: " + o.out_dir + " has no " + name + ".npy");
}

double number_or(const nlohmann::ordered_json& v, double otherwise) {
  return v.is_number() ? v.get<double>() : otherwise;  // null where a diagnostic had no finite value
}

// The scatter figure's entries of one kernel (evenly strided, ~20,000 at most) and the cnn figure's entries.
ScatterSet scatter_set(int layer, int width, const NamedArray& mean, const NamedArray& nngp, const NamedArray& th,
                       const NamedArray& mcse) {
  ScatterSet s{layer, width, {}, {}, {}, mean.shape};
  const std::size_t n = mean.values.size(), stride = std::max<std::size_t>(1, (n + 19999) / 20000);
  for (std::size_t i = 0; i < n; i += stride) {
    s.exp.push_back(mean.values[i] - nngp.values[i]);
    s.th.push_back(th.values[i] - nngp.values[i]);
  }
  for (const auto& e : cnn_figure_entries(mean.shape))
    s.entries.push_back(
        {mean.values[e.index] - nngp.values[e.index], mcse.values[e.index], th.values[e.index] - nngp.values[e.index]});
  return s;
}

// A finished width's rows (one per layer, from its summary) and, for its first repeat, the kernels' entries for the
// scatter and heatmap figures.
void add_width_results(const WidthJob& w, const RunOutcome& o, const std::vector<std::size_t>& heat_inputs,
                       std::vector<SweepRow>& rows, std::vector<ScatterSet>& scatter,
                       std::vector<HeatmapSet>& heatmaps) {
  const auto& j = o.summary;
  for (const auto& l : j["layers"]) {
    if (!l.contains("frob_dK_th"))
      throw RuntimeError("fwmc sweep: the run at width " + std::to_string(w.width) + " has no theory to compare with");
    SweepRow r;
    r.width = w.width;
    r.repeat = w.repeat;
    r.layer = l["layer"];
    r.layer_width = w.c.model.widths.at(static_cast<std::size_t>(r.layer - 1));
    r.dK_exp = l["frob_dK_exp"];
    r.dK_exp_se = l["frob_dK_exp_se"];
    r.dK_th = l["frob_dK_th"];
    r.exp_minus_th = l["frob_exp_minus_th"];
    r.exp_minus_th_se = l["frob_exp_minus_th_se"];
    // Bias-corrected residual: the squared norm of pure noise is sum MCSE^2 (+ the theory's own sum SE^2; summaries
    // from before frob_theory_mcse have only the norm's SE, which is 0 for a closed form too).
    const double th_noise = l.value("frob_theory_mcse", l["frob_dK_th_se"].get<double>());
    const double noise2 = std::pow(l["frob_mcse"].get<double>(), 2) + th_noise * th_noise;
    r.residual_bc = std::sqrt(std::max(0.0, r.exp_minus_th * r.exp_minus_th - noise2));
    r.noise = std::sqrt(noise2);
    r.frob_mcse = l["frob_mcse"];
    // Noise adds sum MCSE^2 to ||dK_exp||^2 on average: at P = 1000 that bias is ~0.1-0.2% of the deviation, far
    // above the norm's own SE, and it differs between widths, so the slopes are fitted to the corrected norm.
    r.dK_exp_bc = std::sqrt(std::max(0.0, r.dK_exp * r.dK_exp - r.frob_mcse * r.frob_mcse));
    if (l.contains("cnn_forms")) {
      const auto& f = l["cnn_forms"];
      r.has_cnn_forms = true;
      r.dK_th_unprop = f["frob_dK_th_unpropagated"];
      r.dist_prop = f["distance_propagated_mcse"];
      r.dist_unprop = f["distance_unpropagated_mcse"];
    }
    r.rel_err = l["rel_err"];
    const double nan = std::numeric_limits<double>::quiet_NaN();
    r.rhat_max = number_or(j["diagnostics"]["rhat_max"], nan);
    r.rhat_nested_max = number_or(j["diagnostics"]["rhat_nested_max"], nan);
    r.drift_z_max = number_or(j["diagnostics"]["drift_z_max"], nan);
    const auto& th = j.contains("theory") ? j["theory"] : nlohmann::ordered_json();
    r.rank_depth_over_n = th.is_object() ? number_or(th.value("p_depth_over_n", nlohmann::ordered_json()), nan) : nan;
    r.sum_nd_over_n = th.is_object() ? number_or(th.value("sum_nd_over_n", nlohmann::ordered_json()), nan) : nan;
    r.ess_bulk_min = number_or(j["diagnostics"]["ess_bulk_min"], 0.0);
    r.seconds = j["timing"]["total_s"];
    rows.push_back(r);
    if (r.repeat == 0) {
      const std::string k = "K" + std::to_string(r.layer);
      const NamedArray& nngp = array_named(o, k + "_nngp");
      const NamedArray& mean = array_named(o, k + "_mean");
      const NamedArray& th = array_named(o, k + "_theory");
      scatter.push_back(scatter_set(r.layer, r.width, mean, nngp, th, array_named(o, k + "_mcse")));
      heatmaps.push_back(heatmap_block(r.layer, r.width, mean.shape, nngp.values, mean.values, th.values, heat_inputs));
    }
  }
}

std::string sweep_report_text(const SweepOutcome& o, bool figures, const std::string& note) {
  std::string s;
  appendf(s, "fwmc sweep: %zu runs, widths", o.runs.size());
  for (int w : o.widths) appendf(s, " %d", w);
  s += "\n  layer  slope ||dK_exp|| (expect -1)  with its 1/n^2 term    slope residual (expect -2)\n";
  for (const auto& f : o.summary["fits"]) {
    const auto& nx = f["dK_exp_next_order"];
    char next[64] = "n/a";
    if (nx["points"].get<int>() >= 4)
      std::snprintf(next, sizeof next, "%6.3f +- %.3f", nx["slope"].get<double>(), nx["slope_se"].get<double>());
    const auto& res = f["residual_bias_corrected"];
    appendf(s, "  %5d  %6.3f +- %.3f              %-20s  %6.3f +- %.3f (%d points)\n", f["layer"].get<int>(),
            f["dK_exp"]["slope"].get<double>(), f["dK_exp"]["slope_se"].get<double>(), next, res["slope"].get<double>(),
            res["slope_se"].get<double>(), res["points"].get<int>());
  }
  if (!o.out_dir.empty()) {
    if (!figures) appendf(s, "  warning: %s\n", note.c_str());
    appendf(s, "  wrote %s/ (sweep.csv, sweep.json, %sreport.md, width_<n>/)\n", o.out_dir.c_str(),
            figures ? "fig_deviation.{png,svg}, fig_scatter.{png,svg}, " : "");
  }
  return s;
}

}  // namespace

SweepOutcome sweep_job(const SweepRequest& req, const JobHooks& hooks) {
  const Config base = resolve_config(req.input);
  SweepShape shape{req.widths, req.pattern, req.repeats};  // the config's [sweep] section where the request is silent
  if (shape.widths.empty()) shape.widths = base.sweep.widths;
  if (shape.pattern.empty()) shape.pattern = base.sweep.pattern;
  if (shape.repeats == 0) shape.repeats = base.sweep.repeats;
  check_sweep_shape(shape);
  std::vector<WidthJob> jobs = width_jobs(base, shape);
  // Before the folder is touched: an unknown sampler or a missing device (every width runs on the same one).
  resolve_sampler(base);
  const bool on_cuda = choose_device(base).cuda;
  const std::string backend = on_cuda ? "cuda" : "cpu";  // the provenance's name for it
  const Dataset d = load_dataset(base, req.input.arrays);
  if (!on_cuda) {  // before the folder is touched: a sweep that would take days is refused
    double seconds = 0;
    for (const auto& j : jobs)
      seconds += estimated_cpu_seconds(j.c, make_model_spec(j.c.model, d.input_shape, d.n_out()), d.P, d.N());
    check_cpu_time(seconds, base, "sweep", hooks);
  }
  // The sweep folder: locked; reused when it holds an earlier sweep (finished widths are kept when their
  // provenance matches); a folder of something else is refused unless forced.
  const std::string& dir = base.output.dir;
  std::optional<OutputFolder> folder;
  if (req.write) {
    folder.emplace(dir, OutputFolder::Mode::reuse, "--out");
    if (!req.force && !looks_like_sweep(dir))
      throw InputError("--out " + dir +
                       ": exists, is not empty and holds no fwmc sweep; use --force to write into it, or another "
                       "folder");
  }
  const SweepData data = materialise_data(base, req.input.arrays, jobs, req.write);
  std::vector<FolderSurvey> have(jobs.size());
  if (req.write) {
    for (std::size_t k = 0; k < jobs.size(); ++k) have[k] = survey_width(jobs[k].c, dir, backend, data, req.force);
    for (const auto& [path, bytes] : data.files) {
      std::error_code ec;
      if (!std::filesystem::exists(path, ec) || file_fnv1a(path) != fnv1a(bytes.data(), bytes.size()))
        write_file_atomic(path, bytes);
    }
  }
  SweepOutcome o;
  o.widths = shape.widths;
  std::vector<ScatterSet> scatter;
  std::vector<HeatmapSet> heatmaps;
  std::vector<std::size_t> heat_inputs;  // the heatmaps' inputs, in class order for one-hot targets
  if (req.write && base.output.kernel_inputs.empty()) {
    std::vector<std::vector<double>> y(static_cast<std::size_t>(d.P));
    for (int a = 0; a < d.P; ++a)
      for (Eigen::Index k = 0; k < d.Y.cols(); ++k) y[a].push_back(d.Y(a, k));
    heat_inputs = heatmap_inputs(y, 100);
  } else if (req.write) {  // the selected inputs, in the order the kernel files hold them
    for (std::size_t a = 0; a < std::min<std::size_t>(100, base.output.kernel_inputs.size()); ++a)
      heat_inputs.push_back(a);
  }
  for (std::size_t k = 0; k < jobs.size(); ++k) {
    const WidthJob& w = jobs[k];
    SweepRun run{w.width, w.repeat, have[k].holds == FolderHolds::finished, {}};
    if (run.reused) {
      log_note(hooks, "fwmc sweep: [%zu/%zu] width %d: finished earlier, reusing %s/summary.json\n", k + 1, jobs.size(),
               w.width, w.c.output.dir.c_str());
      run.run = read_run_outcome(w.c.output.dir);
    } else {
      RunSettings s;
      s.write = req.write;
      s.force = true;  // what is there is a run of this width that did not finish, or (forced) of another setup
      s.arrays = data.arrays ? &*data.arrays : nullptr;
      if (have[k].holds == FolderHolds::resumable) s.resume = &have[k].checkpoint;
      log_note(hooks, "fwmc sweep: [%zu/%zu] width %d%s\n", k + 1, jobs.size(), w.width,
               s.resume ? " (resuming its checkpoint)" : "");
      run.run = run_config(w.c, s, hooks);
    }
    add_width_results(w, run.run, heat_inputs, o.rows, scatter, heatmaps);
    o.runs.push_back(std::move(run));
  }
  std::string note;
  bool figures = false;
  if (req.write) {
    figures =
        write_sweep_report(dir, o.rows, scatter, heatmaps, {base.sweep.title, base.model.arch != Arch::fcn}, note);
    o.out_dir = dir;
  }
  o.summary = sweep_summary_json(o.rows);
  o.report = sweep_report_text(o, figures, note);
  return o;
}

}  // namespace fwmc::jobs
