// fwmc command line: subcommands run / theory / oracle / sweep. Exit 0 ok, 2 bad input, 1 runtime failure.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include <CLI/CLI.hpp>

#include "fwmc/comm.hpp"
#include "fwmc/cpu_info.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/interrupt.hpp"
#include "fwmc/messages.hpp"
#include "host/cli/commands.hpp"

namespace {

// The subcommands and their options, parsed into args, draws and sweep_args.
struct Commands {
  CLI::App* run;
  CLI::App* theory;
  CLI::App* oracle;
  CLI::App* sweep;
};

// Each draw of the oracle is one prior network: beyond this it would run for years (and 2^63 overflows).
constexpr long long kMaxOracleDraws = 1LL << 40;

Commands define_commands(CLI::App& app, fwmc::cli::CommonArgs& args, long& draws, fwmc::cli::SweepArgs& sweep_args,
                         std::string& widths_text) {
  auto add_common = [&](CLI::App* s, bool config_required) {
    auto* o = s->add_option("config", args.config_path, "TOML config file (see configs/default.toml)");
    if (config_required) o->required();
    s->add_option("--out", args.out_dir, "Output directory (overrides [output] dir)");
    s->add_option("--set", args.overrides, "Override a config key: section.key=value (TOML value syntax)")
        ->allow_extra_args(false);
  };
  auto* run =
      app.add_subcommand("run", "Sample the posterior, compute the theory and compare (no CONFIG: embedded default)");
  add_common(run, false);
  run->add_flag("--dry-run", args.dry_run, "Validate the config and data, print the memory model, and exit");
  run->add_flag("--force", args.force, "Write into an existing, non-empty output directory (replacing fwmc's files)");
  run->add_option("--resume", args.resume_dir, "Continue the interrupted run whose checkpoint is in DIR");
  run->add_flag("--resume-or-start", args.resume_or_start,
                "Start the run in its output folder, continue it there if it was interrupted, or do nothing if it "
                "finished (one command line for a requeued job)");
  auto* theory = app.add_subcommand("theory", "NNGP kernels and the leading-order theory only (no sampling)");
  add_common(theory, false);
  theory->add_flag("--force", args.force,
                   "Write into an existing, non-empty output directory (replacing fwmc's files)");
  auto* oracle = app.add_subcommand(
      "oracle", "Exact small-problem estimator: importance sampling from the prior (docs/theory.md 8)");
  add_common(oracle, true);
  oracle->add_flag("--force", args.force,
                   "Write into an existing, non-empty output directory (replacing fwmc's files)");
  oracle->add_option("--draws", draws, "Number of prior draws M")->check([](const std::string& v) {
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != 0 || n <= 0) return std::string("must be a positive whole number");
    if (errno == ERANGE || n > kMaxOracleDraws)
      return "at most " + std::to_string(kMaxOracleDraws) + " (each draw is one prior network)";
    return std::string();
  });
  auto* sweep =
      app.add_subcommand("sweep", "Width-scaling study: run CONFIG at each width, fit log-log slopes, plot, report");
  add_common(sweep, true);
  sweep->add_flag("--force", args.force,
                  "Rerun widths whose earlier runs in --out are of another setup; write into a non-sweep folder");
  sweep->add_option("--widths", widths_text, "Comma-separated widths, e.g. 32,64,128 (default: [sweep] widths)");
  sweep->add_option("--repeats", sweep_args.repeats, "Independent repeats per width (default: [sweep] repeats, 1)")
      ->check(CLI::PositiveNumber);
  sweep->add_option("--widths-pattern", sweep_args.pattern,
                    "Hidden widths per layer with n for the sweep width, e.g. \"n,50,n\" (default: every layer n)");

  return {run, theory, oracle, sweep};
}

// --widths 32,64,128: every item a whole number (an empty item, as in 16,,32, is an error, not skipped).
std::vector<int> parse_widths(const std::string& text) {
  std::vector<int> w;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != 0 || errno == ERANGE || v < 1 || v > fwmc::kMaxWidth)
      throw fwmc::InputError("--widths " + text.substr(0, 80) + ": '" + item.substr(0, 20) +
                             "' is not a width from 1 to " + std::to_string(fwmc::kMaxWidth));
    w.push_back(static_cast<int>(v));
    if (comma == std::string::npos) return w;
    start = comma + 1;
  }
}

int run_main(int argc, char** argv) {
  using namespace fwmc;
  CLI::App app{
      "fwmc: finite-width Monte Carlo. Samples the weight posterior of finite-width Bayesian networks\n"
      "with many parallel MCMC chains and compares each layer's posterior mean kernel with the NNGP\n"
      "kernel and the leading-order 1/width theory."};
  app.require_subcommand(0, 1);
  // Bad arguments are one line, like every other input error (CLI11 adds a second, "Run with --help ...").
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "fwmc: error: " + jobs::printable(e.what()) + " (fwmc --help)\n";
  });
  bool show_version = false;
  app.add_flag("--version", show_version, "Print the version, whether CUDA is compiled in, and the devices seen");

  cli::CommonArgs args;
  long draws = 0;
  cli::SweepArgs sweep_args;
  std::string widths_text;
  const Commands cmd = define_commands(app, args, draws, sweep_args, widths_text);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  for (CLI::App* sub : {cmd.run, cmd.theory, cmd.oracle, cmd.sweep})
    if (*sub && sub->get_option("--out")->count() > 0 && args.out_dir.empty()) {
      std::fprintf(stderr, "fwmc: error: --out '': give the output folder's name\n");
      return 2;
    }
  if (*cmd.sweep && !widths_text.empty()) {
    try {
      sweep_args.widths = parse_widths(widths_text);
    } catch (const InputError& e) {
      std::fprintf(stderr, "fwmc: error: %s\n", jobs::printable(e.what()).c_str());
      return 2;
    }
  }
  install_interrupt_handlers();
  // Under mpirun every message names its rank, and a failure on one rank ends the job on all of them.
  Comm& comm = world();
  const std::string who = comm.size() > 1 ? "fwmc: rank " + std::to_string(comm.rank()) + ": " : "fwmc: ";
  auto fail = [&](int code, const std::string& what) {
    std::fprintf(stderr, "%s%s\n", who.c_str(), jobs::printable(what).c_str());
    if (comm.size() > 1) comm.abort(code);
    return code;
  };
  try {
    if (show_version) {
      std::fputs(jobs::version_text().c_str(), stdout);
      return 0;
    }
    int code = 2;  // no subcommand: nothing was asked for, so not a success
    if (*cmd.theory) {
      code = cli::cmd_theory(args);
    } else if (*cmd.run) {
      code = cli::cmd_run(args);
    } else if (*cmd.oracle) {
      code = cli::cmd_oracle(args, draws);
    } else if (*cmd.sweep) {
      code = cli::cmd_sweep(args, sweep_args);
    } else {
      std::fputs(app.help().c_str(), stderr);
    }
    // A report that could not be printed (stdout on a full disk, a closed pipe) is not a success.
    if (std::fflush(stdout) != 0 || std::ferror(stdout))
      return fail(1,
                  std::string("failure: writing the report to standard output failed (") + std::strerror(errno) + ")");
    return code;
  } catch (const Interrupted&) {
    std::fprintf(stderr, "\n%sinterrupted; no outputs were written\n", who.c_str());
    return 130;
  } catch (const InputError& e) {
    return fail(2, std::string("error: ") + e.what());
  } catch (const std::bad_alloc&) {
    return fail(2, "error: out of memory: the request exceeds this machine's memory (see fwmc run --dry-run)");
  } catch (const std::exception& e) {
    return fail(1, std::string("failure: ") + e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  fwmc::tune_cpu_runtime(argv);  // may re-execute the program once with better BLAS kernels selected
  if (const std::string why = fwmc::blas_kernels_problem(); !why.empty()) {
    std::fprintf(stderr, "fwmc: error: %s\n", why.c_str());
    return 2;
  }
  // Help and --version need no MPI, whose start-up takes up to a second or two; nor does a process that no MPI
  // launcher started (mpirun, mpiexec and srun set one of these), which runs as a single process anyway.
  bool launched = false;
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "MPI_LOCALNRANKS"})
    launched = launched || std::getenv(v) != nullptr;
  bool quick = argc == 1 || !launched;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    quick = quick || a == "--version" || a == "--help" || a == "-h";
  }
  if (!quick) fwmc::comm_init(&argc, &argv);
  const int code = run_main(argc, argv);
  if (!quick) fwmc::comm_finalize();
  return code;
}
