// fwmc run as a job: data, plan, theory, output folder, provenance, sampling, comparison, and the outputs in
// memory; publishing them into the folder when the run writes one.
#include "fwmc/run_job.hpp"

#include <chrono>
#include <filesystem>
#include <optional>

#include "fwmc/atomic_file.hpp"
#include "fwmc/comm.hpp"
#include "fwmc/compare.hpp"
#include "fwmc/cost_model.hpp"
#include "fwmc/device_select.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/memory_model.hpp"
#include "fwmc/output_folder.hpp"
#include "fwmc/prior_draws.hpp"
#include "fwmc/provenance.hpp"
#include "fwmc/run_plan.hpp"
#include "fwmc/theory.hpp"
#include "host/jobs/cpu_time.hpp"
#include "host/jobs/run_folder.hpp"
#include "host/jobs/run_report.hpp"
#include "host/report/output_guard.hpp"

namespace fwmc::jobs {

std::string checkpoint_path(const std::string& dir, int rank) {
  return dir + (rank == 0 ? "/checkpoint.bin" : "/checkpoint.rank" + std::to_string(rank) + ".bin");
}

namespace {

// The same config text may now read other data, or run elsewhere: resuming refuses, naming what changed.
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
CheckpointPolicy checkpoint_policy(const Config& c, const RunSettings& s, const Provenance& prov, int rank,
                                   std::optional<CheckpointData>& own) {
  CheckpointPolicy policy;
  policy.path = checkpoint_path(c.output.dir, rank);
  policy.every_s = c.output.checkpoint_every;
  policy.config_hash = config_hash(c);
  policy.extra = s.identity;
  policy.extra.emplace_back("provenance", prov.to_json().dump());
  policy.resume = s.resume;
  if (s.resume && rank > 0) {
    own = read_checkpoint(policy.path);
    policy.resume = &*own;
  }
  return policy;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

Provenance provenance_for(const Config& c, const std::string& backend, const InputArrays* arrays) {
  return arrays && c.data.kind == DataKind::arrays
             ? provenance_of(c, backend, world().size(), input_array_hashes(*arrays))
             : provenance_of(c, backend, world().size());
}

}  // namespace

RunOutcome run_config(const Config& c, const RunSettings& s, const JobHooks& hooks) {
  const StopScope stop(hooks.stop);
  const auto t0 = std::chrono::steady_clock::now();
  const Dataset d = load_dataset(c, s.arrays);
  // Before any output: an unknown sampler, a missing device or a job that cannot fit in memory is an input error.
  const RunPlan plan = plan_run(c, d, world().size());
  if (!plan.device.cuda) check_cpu_time(estimated_cpu_seconds(c, plan.model, d.P, d.N()), c, "run", hooks);
  const ModelSpec& m = plan.model;
  Comm& comm = world();
  const std::string& out = c.output.dir;
  // The output folder holds the checkpoint while the run goes, so it is claimed now (after validation): locked,
  // and checked to be empty unless forced or resumed. MPI ranks > 0 only write their own checkpoints into it.
  std::optional<OutputFolder> folder;
  if (s.write && comm.rank() == 0)
    folder.emplace(out,
                   s.resume  ? OutputFolder::Mode::resume
                   : s.force ? OutputFolder::Mode::force
                             : OutputFolder::Mode::fresh,
                   "[output] dir",
                   "use --force to overwrite it, or fwmc run --resume " + out + " to continue an interrupted run");
  if (s.write) comm.barrier();  // the other ranks write into the folder rank 0 has claimed (or been refused)
  const std::string backend = plan.device.cuda ? "cuda" : "cpu";
  const Provenance prov = provenance_for(c, backend, s.arrays);
  if (s.resume && comm.rank() == 0) check_resume_provenance(*s.resume, out, prov);
  std::optional<CheckpointData> own;  // ranks > 0 resume from their own file
  std::optional<CheckpointPolicy> policy;
  if (s.write) policy = checkpoint_policy(c, s, prov, comm.rank(), own);
  // The start record, before anything long runs (the theory, the sampling): from here on a kill at any moment
  // leaves a folder that resume continues (from step 0 when nothing was sampled yet).
  const bool started_here = s.write && !s.resume;
  if (started_here) write_start_checkpoint(*policy, comm.size());
  // The theory can still refuse the config (e.g. theory.method = "closed_form" where none exists): then the
  // start record goes, and the folder if this run made it.
  const auto tt = std::chrono::steady_clock::now();
  RunOutcome o;
  JobResult& job = o.job;
  job.chains = plan.chains;
  std::optional<TheoryResult> th_full;
  try {
    th_full.emplace(compute_theory(m, d, plan.theory, backend_prior_source(plan.device, m, d)));
  } catch (const InputError&) {
    if (started_here) std::filesystem::remove(policy->path);
    throw;
  }
  job.theory = restrict_theory(*th_full, plan.selection);  // the entries the run measures
  const double theory_s = seconds_since(tt);
  o.header = run_header_text(c, plan, d);
  if (comm.rank() == 0) log_note(hooks, "%s\n", o.header.c_str());
  job.run = run_sampling(plan, d, job.theory.phi.phi, comm.rank() == 0 ? hooks.progress : ProgressFn{},
                         policy ? &*policy : nullptr);
  if (comm.rank() != 0) {  // rank 0 has the whole run, writes the outputs and then removes every rank's checkpoint
    o.worker = job.worker = true;
    return o;
  }
  for (int l = 0; l < m.depth(); ++l) job.layers.push_back(compare_layer(job.theory.layers[l], job.run.kernels[l]));
  job.spatial_trace = spatial_trace_comparisons(job.theory, job.run);
  if (c.theory.compare_cnn_forms) job.cnn_forms = cnn_form_distances(m, *th_full, job.run, plan.selection);
  job.total_s = seconds_since(t0);
  check_outputs_finite(plan.precision, s.write ? out + "/" : "", job);  // never a non-finite result
  o.arrays = run_arrays(plan, job);
  o.summary = run_summary_json(c, plan, job, prov, theory_s);
  o.theory = run_theory_json(job.theory);
  if (s.write) {
    // The sampling state is in the final checkpoint, so a failure from here on (disk full, a kill) costs only the
    // writing: resuming redoes it.
    try {
      const std::string& staging = folder->staging_dir();
      write_named_arrays(staging, o.arrays);
      write_file_atomic(staging + "/theory.json", o.theory.dump(2) + "\n");
      folder->publish("summary.json", o.summary);
    } catch (const std::exception& e) {
      folder->discard_staging();
      throw RuntimeError(std::string(e.what()) + "; the sampling is saved: after fixing this, fwmc run --resume " +
                         out + " writes the outputs");
    }
    for (int k = 0; k < comm.size(); ++k) std::filesystem::remove(checkpoint_path(out, k));  // the run is complete
    o.out_dir = out;
  }
  o.report = run_report_text(job, o.out_dir);
  return o;
}

RunOutcome run_job(const RunRequest& req, const JobHooks& hooks) {
  const Config c = resolve_config(req.input);
  RunSettings s;
  s.write = req.write;
  s.force = req.start == Start::force;
  s.identity = config_identity(req.input);
  s.arrays = req.input.arrays;
  if (!req.write || req.start != Start::resume_or_start) return run_config(c, s, hooks);
  // Start when the folder holds no run, continue an interrupted run of this config, and do nothing when it has
  // finished; a folder holding another setup's run is refused. One unchanged command line can so be requeued by
  // a preemptible scheduler (Slurm --requeue).
  const std::string backend = choose_device(c).cuda ? "cuda" : "cpu";
  FolderSurvey survey = survey_run_folder(c, provenance_for(c, backend, s.arrays));
  if (!survey.differs.empty())
    throw InputError("--out " + c.output.dir + ": holds the run of another setup (" + survey.differs +
                     "); choose another folder");
  if (survey.holds == FolderHolds::finished) {
    RunOutcome o;
    o.finished_earlier = true;
    o.out_dir = c.output.dir;
    o.report = "fwmc run: " + c.output.dir + " holds this run's finished results; nothing to do\n";
    return o;
  }
  if (survey.holds == FolderHolds::resumable) {
    JobInput same;  // no config to check against: the survey found this config's run
    same.arrays = req.input.arrays;
    return resume_job(c.output.dir, same, hooks);
  }
  return run_config(c, s, hooks);
}

std::string dry_run_text(const JobInput& in) {
  const Config c = resolve_config(in);
  const Dataset d = load_dataset(c, in.arrays);
  const RunPlan plan = plan_run(c, d, world().size(), /*check_fit=*/false);
  std::string text = "fwmc run --dry-run: " + c.source + ", " + std::to_string(plan.model.total_params()) +
                     " parameters per chain, " + std::to_string(plan.chains) + " chains on " + plan.device.description +
                     "\n" + describe_memory(plan);
  if (!plan.device.cuda)
    text += "  estimated time on this CPU: " + duration_text(estimated_cpu_seconds(c, plan.model, d.P, d.N())) +
            " (from its multiply-adds; good to a factor of ~3)\n";
  check_memory(plan);
  return text + "  fits: yes; nothing was sampled or written\n";
}

}  // namespace fwmc::jobs
