// Small helpers shared by the test files: temp dirs, running the fwmc binary, writing configs.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fwmc::test {

// The folders a test process made; removed when it exits with every test passed (kept, and named, when one
// failed, to look into; FWMC_KEEP_TEST_DIRS=1 keeps them always). Without this each run of the suite leaves its
// folders behind, checkpoints included, and a machine that runs it often fills its disk.
class TempDirs {
 public:
  void add(const std::filesystem::path& p) { dirs_.push_back(p); }
  ~TempDirs() {
    if (dirs_.empty()) return;
    const bool keep = std::getenv("FWMC_KEEP_TEST_DIRS") || !::testing::UnitTest::GetInstance()->Passed();
    for (const auto& d : dirs_) {
      if (keep) {
        std::fprintf(stderr, "kept %s\n", d.c_str());
        continue;
      }
      std::error_code ec;  // best effort: a folder a test left read-only is not worth failing the run for
      std::filesystem::remove_all(d, ec);
    }
  }

 private:
  std::vector<std::filesystem::path> dirs_;
};

inline std::string temp_dir(const std::string& tag) {
  static std::mt19937_64 rng(std::random_device{}());
  static TempDirs made;  // constructed after gtest's UnitTest, so destroyed before it
  auto p = std::filesystem::temp_directory_path() / ("fwmc_test_" + tag + "_" + std::to_string(rng() % 1000000000));
  std::filesystem::create_directories(p);
  made.add(p);
  return p.string();
}

inline void write_text(const std::string& path, const std::string& s) { std::ofstream(path) << s; }

inline std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Outputs of a finished run: every .npy byte for byte, and summary.json without timing, memory and output dir
// (and, for runs on other process counts, without the process count in its provenance).
inline std::map<std::string, std::string> run_outputs(const std::string& dir, bool any_ranks = false) {
  std::map<std::string, std::string> m;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".npy") m[e.path().filename().string()] = slurp(e.path().string());
  auto j = nlohmann::json::parse(slurp(dir + "/summary.json"));
  j.erase("timing");
  j.erase("memory");
  j.erase("device");  // names the thread count
  j["config"]["output"].erase("dir");
  if (any_ranks) j["provenance"].erase("ranks");
  m["summary.json"] = j.dump();
  return m;
}

struct CmdResult {
  int code = -1;
  std::string output;  // stdout + stderr
};

// Runs a shell command line, collecting stdout + stderr and the exit code.
inline CmdResult run_command(const std::string& cmd) {
  CmdResult r;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.output.append(buf, n);
  const int st = pclose(f);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// Runs build/fwmc with the given arguments (shell-quoted by the caller).
inline CmdResult run_fwmc(const std::string& args) { return run_command(std::string(FWMC_BINARY) + " " + args); }

// Runs build/fwmc under `env -u OPENBLAS_CORETYPE -u FWMC_BLAS_CORETYPE -u FWMC_RUNTIME_TUNED VAR=value ...`.
inline CmdResult run_fwmc_env(const std::string& assignments, const std::string& args) {
  return run_command("env -u OPENBLAS_CORETYPE -u FWMC_BLAS_CORETYPE -u FWMC_RUNTIME_TUNED -u FWMC_BLAS_SELECTED " +
                     assignments + " " FWMC_BINARY " " + args);
}

// Starts build/fwmc with args (no shell) and extra environment variables; returns its pid. Output goes to `log`.
inline pid_t spawn_fwmc(const std::vector<std::string>& args, const std::string& log,
                        const std::vector<std::pair<std::string, std::string>>& env = {}) {
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "a");
    dup2(fileno(f), 1);
    dup2(fileno(f), 2);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv{const_cast<char*>(FWMC_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(FWMC_BINARY, argv.data());
    _exit(127);
  }
  return pid;
}

// Waits for a spawned process: its exit code, or minus the signal that ended it.
inline int wait_for(pid_t pid) {
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

}  // namespace fwmc::test
