// Small helpers shared by the test files: temp dirs, running the fwmc binary, writing configs.
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

namespace fwmc::test {

inline std::string temp_dir(const std::string& tag) {
  static std::mt19937_64 rng(std::random_device{}());
  auto p = std::filesystem::temp_directory_path() / ("fwmc_test_" + tag + "_" + std::to_string(rng() % 1000000000));
  std::filesystem::create_directories(p);
  return p.string();
}

inline void write_text(const std::string& path, const std::string& s) { std::ofstream(path) << s; }

inline std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Outputs of a finished run: every .npy byte for byte, and summary.json without timing, memory and output dir.
inline std::map<std::string, std::string> run_outputs(const std::string& dir) {
  std::map<std::string, std::string> m;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".npy") m[e.path().filename().string()] = slurp(e.path().string());
  auto j = nlohmann::json::parse(slurp(dir + "/summary.json"));
  j.erase("timing");
  j.erase("memory");
  j.erase("device");  // names the thread count
  j["config"]["output"].erase("dir");
  m["summary.json"] = j.dump();
  return m;
}

struct CmdResult {
  int code = -1;
  std::string output;  // stdout + stderr
};

// Runs build/fwmc with the given arguments (shell-quoted by the caller).
inline CmdResult run_fwmc(const std::string& args) {
  CmdResult r;
  std::string cmd = std::string(FWMC_BINARY) + " " + args + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.output.append(buf, n);
  int st = pclose(f);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace fwmc::test
