// fwmc run / theory / oracle / sweep: a request from the arguments, the job, the report on stdout.
#include "host/cli/commands.hpp"

#include <cstdio>
#include <filesystem>

#include "fwmc/errors.hpp"
#include "fwmc/run_job.hpp"
#include "fwmc/sweep_job.hpp"
#include "fwmc/theory_job.hpp"
#include "host/cli/progress.hpp"

namespace fwmc::cli {

jobs::JobInput job_input(const CommonArgs& a) {
  jobs::JobInput in;
  in.config_path = a.config_path;
  in.overrides = a.overrides;
  in.out_dir = a.out_dir;
  return in;
}

jobs::JobHooks terminal_hooks() {
  jobs::JobHooks h;
  h.progress = make_progress_printer();
  h.log = stderr;
  return h;
}

namespace {

// An interrupted run keeps its checkpoint: say how to continue it.
template <class F>
int with_resume_hint(const std::string& dir, F run) {
  try {
    return run();
  } catch (const Interrupted&) {
    std::error_code ec;
    if (std::filesystem::exists(jobs::checkpoint_path(dir, 0), ec))
      std::fprintf(stderr, "\nfwmc: checkpoint saved; continue with: fwmc run --resume %s\n", dir.c_str());
    throw;
  }
}

}  // namespace

int cmd_run(const CommonArgs& a) {
  if (!a.resume_dir.empty()) {
    if (a.resume_or_start) throw InputError("--resume and --resume-or-start: give one of them");
    if (a.dry_run) throw InputError("--resume and --dry-run: a resumed run has nothing to validate; give one of them");
    return with_resume_hint(a.resume_dir, [&] {
      std::fputs(jobs::resume_job(a.resume_dir, job_input(a), terminal_hooks()).report.c_str(), stdout);
      return 0;
    });
  }
  if (a.dry_run) {
    std::fputs(jobs::dry_run_text(job_input(a)).c_str(), stdout);
    return 0;
  }
  if (a.resume_or_start && a.force) throw InputError("--resume-or-start and --force: give one of them");
  jobs::RunRequest req;
  req.input = job_input(a);
  req.start = a.resume_or_start ? jobs::Start::resume_or_start : a.force ? jobs::Start::force : jobs::Start::fresh;
  const std::string dir = jobs::resolve_config(req.input).output.dir;
  return with_resume_hint(dir, [&] {
    std::fputs(jobs::run_job(req, terminal_hooks()).report.c_str(), stdout);
    return 0;
  });
}

int cmd_theory(const CommonArgs& a) {
  jobs::TheoryRequest req;
  req.input = job_input(a);
  req.force = a.force;
  std::fputs(jobs::theory_job(req, terminal_hooks()).report.c_str(), stdout);
  return 0;
}

int cmd_oracle(const CommonArgs& a, long draws) {
  jobs::OracleRequest req;
  req.input = job_input(a);
  req.force = a.force;
  req.draws = draws;
  std::fputs(jobs::oracle_job(req, terminal_hooks()).report.c_str(), stdout);
  return 0;
}

int cmd_sweep(const CommonArgs& a, const SweepArgs& s) {
  jobs::SweepRequest req;
  req.input = job_input(a);
  req.force = a.force;
  req.widths = s.widths;
  req.pattern = s.pattern;
  req.repeats = s.repeats;
  std::fputs(jobs::sweep_job(req, terminal_hooks()).report.c_str(), stdout);
  return 0;
}

}  // namespace fwmc::cli
