// What every job (host/jobs: run, sweep, theory, oracle) takes besides its own options: its input (config and
// data) and the hooks a front end watches and steers it with. Jobs know nothing of the
// command line or of Python; cli/ and python/ call them and print or convert what they return.
#pragma once
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "fwmc/config.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/interrupt.hpp"
#include "fwmc/run_sampling.hpp"

namespace fwmc::jobs {

// A job's input: its config (a TOML file, TOML text such as a Python dict, or with neither the embedded default;
// then the overrides section.key=value and the output folder), and the data when it is given in memory. Kept
// whole so that a resumed run rebuilds the same config.
struct JobInput {
  std::string config_path;
  std::string config_text;
  std::string config_name = "<config dict>";  // names config_text in messages
  std::vector<std::string> overrides;
  std::string out_dir;                  // empty: [output] dir
  const InputArrays* arrays = nullptr;  // [data] kind = "arrays": the data
};

Config resolve_config(const JobInput& in);
// What a checkpoint records to rebuild the config on --resume: the file's absolute path and text (or the text
// given), and the overrides.
std::vector<std::pair<std::string, std::string>> config_identity(const JobInput& in);

// How a front end watches and steers a job.
struct JobHooks {
  ProgressFn progress;       // every 25 iterations of sampling; empty: none
  StopToken stop;            // request() stops the job at its next poll (a checkpoint when one is kept)
  std::FILE* log = nullptr;  // the job's header and notes ("resuming ..."); null: none
};

// A note into hooks.log (printf-style); nothing without a log.
void log_note(const JobHooks& hooks, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace fwmc::jobs
