// fwmc run: sample, compute the theory, compare, write the output contract of DESIGN.md. run_job is the whole
// job (also used by fwmc sweep for each width); cmd_run adds the printed report.
#include <chrono>
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
#include "fwmc/compare.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/device_select.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/interrupt.hpp"
#include "fwmc/memory_model.hpp"
#include "fwmc/output_folder.hpp"
#include "fwmc/prior_draws.hpp"
#include "fwmc/provenance.hpp"
#include "fwmc/run_plan.hpp"
#include "fwmc/run_sampling.hpp"
#include "fwmc/run_summary.hpp"
#include "fwmc/theory.hpp"
#include "fwmc/version.hpp"
#include "host/cli/commands.hpp"
#include "host/cli/progress.hpp"
#include "host/cli/run_folder.hpp"

namespace fwmc::cli {

std::string checkpoint_path(const std::string& dir, int rank) {
  return dir + (rank == 0 ? "/checkpoint.bin" : "/checkpoint.rank" + std::to_string(rank) + ".bin");
}

namespace {

// The same config text may now read other data, or run elsewhere: --resume refuses, naming what changed.
void check_resume_provenance(const CheckpointData& resume, const std::string& out, const Provenance& prov) {
  if (!resume.has("provenance"))
    throw InputError(checkpoint_path(out, 0) + ": has no provenance record; start a new run");
  const Provenance was =
      Provenance::from_json(nlohmann::json::parse(resume.get_string("provenance")), checkpoint_path(out, 0));
  const std::string d = provenance_difference(was, prov);
  if (!d.empty())
    throw InputError("--resume " + out + ": " + d + " since the run started; restore it, or start a new run");
}

// One checkpoint file per rank; ranks > 0 resume from their own file (read into `own`).
CheckpointPolicy checkpoint_policy(const Config& c, const JobOptions& opt, const Provenance& prov, int rank,
                                   std::optional<CheckpointData>& own) {
  CheckpointPolicy policy;
  policy.path = checkpoint_path(c.output.dir, rank);
  policy.every_s = c.output.checkpoint_every;
  policy.config_hash = config_hash(c);
  policy.extra = opt.identity;
  policy.extra.emplace_back("provenance", prov.to_json().dump());
  policy.resume = opt.resume;
  if (opt.resume && rank > 0) {
    own = read_checkpoint(policy.path);
    policy.resume = &*own;
  }
  return policy;
}

void print_run_header(std::FILE* log, const RunPlan& plan, const Dataset& d) {
  const Config& c = plan.config;
  std::fprintf(log, "fwmc run: %s, widths", c.model.arch.c_str());
  for (int w : plan.model.widths) std::fprintf(log, " %d", w);
  std::fprintf(log, ", %s%s, P = %d (+%d test), %s with %d chains (%s) on %s%s", c.model.activation.c_str(),
               plan.weight_product ? " (U through the weight product)" : "", d.P, d.P_test, c.sampler.method.c_str(),
               c.sampler.chains, precision_name(plan.precision), plan.device.description.c_str(),
               c.sampler.device == "auto" ? " (device = auto)" : "");
  if (plan.ranks > 1) std::fprintf(log, " x %d processes", plan.ranks);
  std::fprintf(log, "\n");
}

}  // namespace

JobResult run_job(const Config& c, const ProgressFn& progress, const JobOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  const Dataset d = load_dataset(c, opt.arrays);
  // Before any output: an unknown sampler, a missing device or a job that cannot fit in memory is an input error.
  const RunPlan plan = plan_run(c, d, world().size());
  const ModelSpec& m = plan.model;
  const KernelSelection& sel = plan.selection;
  // The output directory holds the checkpoint while the run goes, so it is claimed now (after validation): locked,
  // and checked to be empty unless --force or --resume. MPI ranks > 0 only write their own checkpoints into it.
  Comm& comm = world();
  const std::string& out = c.output.dir;
  std::optional<OutputFolder> folder;
  if (comm.rank() == 0)
    folder.emplace(out,
                   opt.resume  ? OutputFolder::Mode::resume
                   : opt.force ? OutputFolder::Mode::force
                               : OutputFolder::Mode::fresh,
                   "[output] dir",
                   "use --force to overwrite it, or fwmc run --resume " + out + " to continue an interrupted run");
  comm.barrier();  // the other ranks write their checkpoints into the folder rank 0 has claimed (or been refused)
  const std::string backend = plan.device.cuda ? "cuda" : "cpu";
  const Provenance prov = opt.arrays && c.data.kind == "arrays"
                              ? provenance_of(c, backend, comm.size(), input_array_hashes(*opt.arrays))
                              : provenance_of(c, backend, comm.size());
  if (opt.resume && comm.rank() == 0) check_resume_provenance(*opt.resume, out, prov);
  std::optional<CheckpointData> own;  // ranks > 0 resume from their own file
  const CheckpointPolicy policy = checkpoint_policy(c, opt, prov, comm.rank(), own);
  // The start record, before anything long runs (the theory, the sampling): from here on a kill at any moment
  // leaves a folder that --resume continues (from step 0 when nothing was sampled yet).
  const bool started_here = !opt.resume;
  if (started_here) write_start_checkpoint(policy, comm.size());
  // The theory can still refuse the config (e.g. theory.method = "closed_form" where none exists): then the
  // start record goes, and the folder if this run made it.
  const auto tt = std::chrono::steady_clock::now();
  JobResult job;
  std::optional<TheoryResult> th_full;
  const auto resume_hint = [&] {
    if (comm.rank() == 0)
      std::fprintf(opt.log, "\nfwmc: checkpoint saved; continue with: fwmc run --resume %s\n", out.c_str());
  };
  try {
    th_full.emplace(compute_theory(m, d, plan.theory, backend_prior_source(plan.device, m, d)));
  } catch (const InputError&) {
    if (started_here) std::filesystem::remove(policy.path);
    throw;
  } catch (const Interrupted&) {
    resume_hint();
    throw;
  }
  job.theory = restrict_theory(*th_full, sel);  // the entries the run measures
  const TheoryResult& th = job.theory;
  const double theory_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - tt).count();
  if (comm.rank() == 0) print_run_header(opt.log, plan, d);
  try {
    job.run = run_sampling(plan, d, th.phi.phi, comm.rank() == 0 ? progress : ProgressFn{}, &policy);
  } catch (const Interrupted&) {
    resume_hint();
    throw;
  }
  const RunResult& r = job.run;
  if (comm.rank() != 0) {  // rank 0 has the whole run, writes the outputs and then removes every rank's checkpoint
    job.worker = true;
    return job;
  }
  for (int l = 0; l < m.depth(); ++l) job.layers.push_back(compare_layer(th.layers[l], r.kernels[l]));
  job.spatial_trace = spatial_trace_comparisons(th, r);
  if (c.theory.compare_cnn_forms) job.cnn_forms = cnn_form_distances(m, *th_full, r, sel);
  job.total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Everything is computed: now write. The sampling state is in the final checkpoint, so a failure from here on
  // (disk full, a kill) costs only the writing: --resume redoes it.
  try {
    publish_outputs(plan, job, *folder, prov, theory_s);
  } catch (const std::exception& e) {
    folder->discard_staging();
    throw RuntimeError(std::string(e.what()) + "; the sampling is saved: after fixing this, fwmc run --resume " + out +
                       " writes the outputs");
  }
  for (int k = 0; k < comm.size(); ++k) std::filesystem::remove(checkpoint_path(out, k));  // the run is complete
  return job;
}

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// What rebuilds the config on --resume: the config file's text and absolute path, and the --set overrides.
std::vector<std::pair<std::string, std::string>> identity_of(const CommonArgs& a) {
  std::string ov;
  for (const auto& o : a.overrides) ov += o + "\n";
  const std::string path = a.config_path.empty() ? "" : std::filesystem::absolute(a.config_path).string();
  // No path: the config's text (a dict from Python) or, when there is none, the embedded default.
  return {{"config/path", path}, {"config/text", path.empty() ? a.config_text : slurp(path)}, {"config/overrides", ov}};
}

Config config_from_checkpoint(const CheckpointData& ck, const std::string& dir) {
  std::vector<std::string> ov;
  std::stringstream ss(ck.get_string("config/overrides"));
  for (std::string line; std::getline(ss, line);) ov.push_back(line);
  const std::string path = ck.get_string("config/path");
  const std::string text = ck.get_string("config/text");
  Config c = !path.empty()   ? load_config_text(text, path, ov)
             : !text.empty() ? parse_config(text, "<config dict>", ov)
                             : load_default_config(ov);
  c.output.dir = dir;
  return c;
}

// Continues the run whose checkpoint (or start record) is `ck`, in folder `dir`, with the config it records.
int resume_run(const CommonArgs& a, const CheckpointData& ck, const Config& c) {
  if (has_sampling_state(ck))
    std::fprintf(a.log, "fwmc run: resuming %s (batch %d, iteration %ld)\n", c.output.dir.c_str(),
                 ck.get_value<int>("batch"), ck.get_value<long>("next_iteration"));
  else
    std::fprintf(a.log, "fwmc run: resuming %s from step 0 (it stopped before sampling began)\n", c.output.dir.c_str());
  JobOptions opt;
  opt.resume = &ck;
  opt.arrays = a.arrays;
  opt.log = a.log;
  opt.identity = {{"config/path", ck.get_string("config/path")},
                  {"config/text", ck.get_string("config/text")},
                  {"config/overrides", ck.get_string("config/overrides")}};
  return report_job(c, run_job(c, progress_of(a), opt), a.report);
}

int cmd_resume(const CommonArgs& a) {
  if (!a.out_dir.empty() && std::filesystem::absolute(a.out_dir).lexically_normal() !=
                                std::filesystem::absolute(a.resume_dir).lexically_normal())
    throw InputError("--resume " + a.resume_dir + " --out " + a.out_dir +
                     ": a resumed run finishes in its own folder; "
                     "drop --out (or copy the folder first and resume the copy)");
  const std::string ckpt = checkpoint_path(a.resume_dir, 0);
  if (!std::filesystem::exists(ckpt) && std::filesystem::exists(a.resume_dir + "/summary.json"))
    throw InputError("--resume " + a.resume_dir + ": holds a finished run (summary.json), nothing to resume");
  if (!std::filesystem::exists(ckpt))
    throw InputError("--resume " + a.resume_dir + ": holds no run to resume (" + ckpt +
                     " is missing: the run never started, or finished); start it with "
                     "fwmc run CONFIG --out DIR --resume-or-start");
  const CheckpointData ck = read_checkpoint(ckpt);
  if (ck.version != kVersion)
    throw InputError(a.resume_dir + "/checkpoint.bin: written by fwmc " + ck.version + ", this is fwmc " + kVersion +
                     "; finish it with that version or start again");
  const Config c = config_from_checkpoint(ck, a.resume_dir);
  if (config_hash(c) != ck.config_hash)
    throw InputError(a.resume_dir + "/checkpoint.bin: does not belong to its own config (corrupted?)");
  if (!a.config_path.empty() || !a.overrides.empty()) {
    // --set alone changes the run's own config (not the embedded default), so the message names just those keys.
    Config g;
    if (a.config_path.empty()) {
      CheckpointData with = ck;
      std::string ov = ck.get_string("config/overrides");
      for (const auto& o : a.overrides) ov += o + "\n";
      with.put_string("config/overrides", ov);
      g = config_from_checkpoint(with, a.resume_dir);
    } else {
      CommonArgs given = a;
      given.out_dir = a.resume_dir;
      g = resolve_config(given);
    }
    if (config_hash(g) != ck.config_hash)
      throw InputError(
          a.resume_dir + "/checkpoint.bin: was written by a different config than " +
          (a.config_path.empty() ? std::string("the --set given") : a.config_path) + " (" +
          config_difference(nlohmann::json::parse(config_to_json(c)), nlohmann::json::parse(config_to_json(g))) +
          "); resume without a config, or start a new run");
  }
  return resume_run(a, ck, c);
}

// --resume-or-start: start when the folder holds no run, continue an interrupted run of this config, and do
// nothing when it has finished; a folder holding another setup's run is refused. One unchanged command line can
// so be requeued by a preemptible scheduler (Slurm --requeue).
int cmd_resume_or_start(const CommonArgs& a, const Config& c) {
  const std::string backend = choose_device(c).cuda ? "cuda" : "cpu";
  const Provenance now = a.arrays && c.data.kind == "arrays"
                             ? provenance_of(c, backend, world().size(), input_array_hashes(*a.arrays))
                             : provenance_of(c, backend, world().size());
  const FolderSurvey s = survey_run_folder(c, now);
  if (!s.differs.empty())
    throw InputError("--out " + c.output.dir + ": holds the run of another setup (" + s.differs +
                     "); choose another folder");
  if (s.holds == FolderHolds::finished) {
    std::fprintf(a.report, "fwmc run: %s holds this run's finished results; nothing to do\n", c.output.dir.c_str());
    return 0;
  }
  if (s.holds == FolderHolds::resumable) return resume_run(a, s.checkpoint, c);
  JobOptions opt;
  opt.identity = identity_of(a);
  opt.arrays = a.arrays;
  opt.log = a.log;
  return report_job(c, run_job(c, progress_of(a), opt), a.report);
}

}  // namespace

int cmd_run(const CommonArgs& a) {
  if (!a.resume_dir.empty()) {
    if (a.resume_or_start) throw InputError("--resume and --resume-or-start: give one of them");
    if (a.dry_run) throw InputError("--resume and --dry-run: a resumed run has nothing to validate; give one of them");
    return cmd_resume(a);
  }
  const Config c = resolve_config(a);
  if (a.dry_run) {
    const Dataset d = load_dataset(c, a.arrays);
    const RunPlan plan = plan_run(c, d, world().size(), /*check_fit=*/false);
    std::fprintf(a.report, "fwmc run --dry-run: %s, %ld parameters per chain, %d chains on %s\n", c.source.c_str(),
                 plan.model.total_params(), c.sampler.chains, plan.device.description.c_str());
    std::fputs(describe_memory(plan).c_str(), a.report);
    check_memory(plan);
    std::fprintf(a.report, "  fits: yes; nothing was sampled or written\n");
    return 0;
  }
  if (a.resume_or_start) {
    if (a.force) throw InputError("--resume-or-start and --force: give one of them");
    return cmd_resume_or_start(a, c);
  }
  JobOptions opt;
  opt.force = a.force;
  opt.identity = identity_of(a);
  opt.arrays = a.arrays;
  opt.log = a.log;
  return report_job(c, run_job(c, progress_of(a), opt), a.report);
}

int report_job(const Config& c, const JobResult& job, std::FILE* out) {
  if (job.worker) return 0;
  const RunResult& r = job.run;
  const TheoryResult& th = job.theory;
  const auto& dg = r.diag;
  const std::string& dir = c.output.dir;
  std::fprintf(out, "fwmc run: %ld chain-steps in %.1f s (%.3g chain-steps/s), %ld draws x %d chains\n", r.chain_steps,
               r.sampling_s, r.chain_steps_per_s, r.traces.draws, c.sampler.chains);
  std::fprintf(out,
               "  diagnostics: R-hat max %s (nested %s), bulk ESS min %s, tail ESS min %s, accept %.3f, "
               "step size %.3g..%.3g, divergences %ld\n",
               shown(rhat_or_nan(dg.rhat_max), "%.4f").c_str(), shown(rhat_or_nan(dg.rhat_nested_max), "%.4f").c_str(),
               shown(dg.ess_bulk_min, "%.0f").c_str(), shown(dg.ess_tail_min, "%.0f").c_str(), dg.accept_rate_mean,
               dg.step_min, dg.step_max, dg.divergences);
  std::fprintf(out, "  layer  ||dK_exp||          ||dK_th||    rel_err          max|z|  chi2/dof\n");
  for (const auto& l : job.layers) {
    if (l.has_theory)
      std::fprintf(out, "  %5d  %.4g +- %.2g  %10.4g  %.3f +- %.3f  %6.2f  %.1f/%ld\n", l.layer, l.frob_dK_exp,
                   l.frob_dK_exp_se, l.frob_dK_th, l.rel_err, l.rel_err_se, l.max_abs_z, l.chi2, l.dof);
    else
      std::fprintf(out, "  %5d  %.4g +- %.2g  (no theory; max|z| vs NNGP %.2f)\n", l.layer, l.frob_dK_exp,
                   l.frob_dK_exp_se, l.max_abs_z_nngp);
  }
  if (!r.stein.empty()) {
    std::fprintf(out, "  estimator: stein (docs/theory.md 11, 12) vs plain on the same draws\n");
    std::fprintf(out,
                 "  layer  kind               MCSE plain/stein (median, frob)  per-draw sd  agreement max|z|  chi2/dof"
                 "   C_l=0 max|z|\n");
    auto row = [out](const std::string& name, const SteinReport& s, bool cv) {
      std::fprintf(out, "  %5s  %-17s  %8.3g  %8.3g                  %9s  %16.2f  %6.1f/%ld", name.c_str(),
                   s.kind.c_str(), s.mcse_ratio_median, s.mcse_ratio_frob, shown(s.sd_ratio_median, "%.3g").c_str(),
                   s.agree_max_z, s.agree_chi2, s.agree_dof);
      if (cv) std::fprintf(out, "  %6.2f", s.cv_max_z);
      std::fprintf(out, "\n");
    };
    for (std::size_t l = 0; l < r.stein.size(); ++l) row(std::to_string(l + 1), r.stein[l], true);
    if (r.has_preact) row("Q1", r.preact_report, false);  // its C is layer 1's
    std::fprintf(out, "  estimator cost: %.1f s of %.1f s sampling on the Stein statistics (%.1f s without them)\n",
                 r.stein_s, r.sampling_s, r.sampling_s - r.stein_s);
  } else {
    std::fprintf(out, "  estimator: plain\n");
  }
  for (const auto& t : job.spatial_trace)
    std::fprintf(out, "  spatial trace, layer %d: ||dK_exp|| %.4g +- %.2g, ||dK_th|| %.4g, max|z| %.2f\n", t.layer,
                 t.frob_dK_exp, t.frob_dK_exp_se, t.frob_dK_th, t.max_abs_z);
  for (const auto& f : job.cnn_forms)
    std::fprintf(out,
                 "  layer %d distance in MCSE units: propagated %.2f (max|z| %.2f), unpropagated %.2f (max|z| %.2f)\n",
                 f.layer, f.propagated, f.max_z_propagated, f.unpropagated, f.max_z_unpropagated);
  if (dg.rhat_max > 1.01)
    std::fprintf(out, "  warning: R-hat %.4f > 1.01: chains have not mixed; run longer\n", dg.rhat_max);
  if (dg.ess_bulk_min < 100 * 4) std::fprintf(out, "  warning: bulk ESS %.0f is low\n", dg.ess_bulk_min);
  if (dg.drift_z_max > 4)
    std::fprintf(out,
                 "  warning: the traces drift between the two halves of sampling (|z| = %.1f): all chains share a "
                 "transient from their start; increase warmup\n",
                 dg.drift_z_max);
  if (dg.divergences > 0) std::fprintf(out, "  warning: %ld divergent transitions\n", dg.divergences);
  if (dg.dropped_nonfinite + dg.dropped_divergent > 0)
    std::fprintf(out,
                 "  warning: %ld chain(s) dropped for a non-finite state, %ld for exceeding the divergence budget\n",
                 dg.dropped_nonfinite, dg.dropped_divergent);
  for (const auto& w : th.warnings) std::fprintf(out, "  warning: %s\n", w.c_str());
  std::fprintf(out, "  wrote %s/ (summary.json, theory.json, K<l>_{mean,mcse,nngp,theory}.npy, traces.npy)\n",
               dir.c_str());
  return 0;
}

}  // namespace fwmc::cli
