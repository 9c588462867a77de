// The fwmc subcommands. Each returns the process exit code; errors propagate as exceptions.
#pragma once
#include <string>
#include <vector>

#include "fwmc/config.hpp"

namespace fwmc::cli {

struct CommonArgs {
  std::string config_path;             // empty: embedded default
  std::string out_dir;                 // empty: [output] dir
  std::vector<std::string> overrides;  // --set section.key=value
};

Config resolve_config(const CommonArgs& a);
int cmd_theory(const CommonArgs& a);
int cmd_run(const CommonArgs& a);
int cmd_oracle(const CommonArgs& a, long draws);
std::string version_text();

}  // namespace fwmc::cli
