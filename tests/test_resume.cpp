// A run killed at any moment can be resumed: from its start record before the first periodic checkpoint (from
// step 0), from a checkpoint while sampling, and from the final checkpoint while the outputs are written; each
// time the outputs end bitwise those of an uninterrupted run. `--resume-or-start` is one command line for every
// state of the folder: it starts, continues, or does nothing when the run has finished.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "test_helpers.hpp"

using namespace fwmc::test;
namespace fs = std::filesystem;

namespace {

// One relu layer: its theory is Monte Carlo (a phase of its own before sampling), two chain batches.
const char* kRun =
    "[data]\nn_train=6\nn_test=2\ninput_dim=5\n[model]\nwidths=[16]\nactivation='relu'\n[posterior]\nbeta=2.0\n"
    "[sampler]\nmethod='hmc'\nchains=16\ngroups=8\nchain_batch=8\nwarmup=200\nsamples=3000\nleapfrog_steps=4\n"
    "[theory]\ndraws=300000\n[output]\ncheckpoint_every=0.2\n";

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs kRun uninterrupted into dir/ref; returns its wall time in seconds.
double reference_run(const std::string& dir) {
  write_text(dir + "/c.toml", kRun);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(wait_for(spawn_fwmc({"run", dir + "/c.toml", "--out", dir + "/ref"}, dir + "/ref.log")), 0)
      << slurp(dir + "/ref.log");
  return seconds_since(t0);
}

void expect_same_outputs(const std::string& a_dir, const std::string& b_dir) {
  const auto a = run_outputs(a_dir), b = run_outputs(b_dir);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, bytes] : b) EXPECT_TRUE(a.at(name) == bytes) << name << " differs";
}

// Kill moments: the first within the first second, the others anywhere in a run of `total` seconds.
std::vector<int> kill_moments_ms(double total, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<int> ms{std::uniform_int_distribution<int>(1, 999)(rng)};
  std::uniform_int_distribution<int> any(1, static_cast<int>(1000 * total));
  while (ms.size() < 10) ms.push_back(any(rng));
  return ms;
}

}  // namespace

TEST(Resume, SigkillAtTenMomentsThenResumeEachTimeEqualsAnUninterruptedRunBitwise) {
  const std::string dir = temp_dir("kill_any");
  const double total = reference_run(dir);
  const std::string out = dir + "/k", log = dir + "/k.log";
  int before_claim = 0, finished = 0;
  for (int ms : kill_moments_ms(total, 11)) {
    // Once the folder holds a start record it can be resumed. A kill between creating the folder and writing
    // that record (a loaded machine stretches the window) leaves fwmc's own lock and temp files alone, and the
    // next start proceeds over them (--resume-or-start); before the folder exists, nothing was started.
    const bool started = fs::exists(out + "/checkpoint.bin") || fs::exists(out + "/summary.json");
    if (!started && fs::exists(out)) {
      for (const auto& e : fs::directory_iterator(out))
        ASSERT_EQ(e.path().filename().string().rfind(".fwmc", 0), 0u) << e.path() << "\n" << slurp(log);
    }
    if (fs::exists(out + "/summary.json")) {
      ++finished;
      break;
    }
    const pid_t pid = started ? spawn_fwmc({"run", "--resume", out}, log)
                              : spawn_fwmc({"run", dir + "/c.toml", "--out", out, "--resume-or-start"}, log);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    kill(pid, SIGKILL);
    const int rc = wait_for(pid);
    EXPECT_TRUE(rc == -SIGKILL || rc == 0) << rc << "\n" << slurp(log);
    before_claim += !fs::exists(out);
  }
  EXPECT_LE(before_claim, 1) << "kills before the output folder was claimed";
  if (!finished) {
    ASSERT_TRUE(fs::exists(out + "/checkpoint.bin")) << slurp(log);
    ASSERT_EQ(wait_for(spawn_fwmc({"run", "--resume", out}, log)), 0) << slurp(log);
  }
  EXPECT_FALSE(fs::exists(out + "/checkpoint.bin"));
  expect_same_outputs(out, dir + "/ref");
}

TEST(Resume, ResumeOrStartIsOneCommandLineForEveryStateOfTheFolder) {
  const std::string dir = temp_dir("resume_or_start");
  const double total = reference_run(dir);
  const std::string out = dir + "/o", log = dir + "/o.log";
  const std::vector<std::string> cmd{"run", dir + "/c.toml", "--out", out, "--resume-or-start"};
  for (int ms : kill_moments_ms(total, 5)) {
    const pid_t pid = spawn_fwmc(cmd, log);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    kill(pid, SIGKILL);
    const int rc = wait_for(pid);
    EXPECT_TRUE(rc == -SIGKILL || rc == 0) << rc << "\n" << slurp(log);
  }
  ASSERT_EQ(wait_for(spawn_fwmc(cmd, log)), 0) << slurp(log);
  expect_same_outputs(out, dir + "/ref");
  // Finished: the same command returns at once, saying so, and changes nothing.
  const auto before = run_outputs(out);
  const auto t0 = std::chrono::steady_clock::now();
  const CmdResult again = run_fwmc("run " + dir + "/c.toml --out " + out + " --resume-or-start");
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("nothing to do"), std::string::npos) << again.output;
  EXPECT_LT(seconds_since(t0), 0.5 * total);
  EXPECT_TRUE(run_outputs(out) == before);
  // Another config's run in that folder is refused, naming the key that differs; nothing changes.
  const CmdResult other =
      run_fwmc("run " + dir + "/c.toml --out " + out + " --resume-or-start --set model.widths=[20]");
  EXPECT_EQ(other.code, 2) << other.output;
  EXPECT_NE(other.output.find("widths"), std::string::npos) << other.output;
  EXPECT_TRUE(run_outputs(out) == before);
  // A folder of the user's own files (no run) is not taken over.
  fs::create_directories(dir + "/mine");
  write_text(dir + "/mine/notes.txt", "mine");
  const CmdResult mine = run_fwmc("run " + dir + "/c.toml --out " + dir + "/mine --resume-or-start");
  EXPECT_EQ(mine.code, 2) << mine.output;
  EXPECT_EQ(slurp(dir + "/mine/notes.txt"), "mine");
  // A start killed while writing its start record leaves only fwmc's lock and the temp file of that write: the
  // next start proceeds and removes them (before, it was refused as a folder that is not empty, for good).
  fs::create_directories(dir + "/cut");
  write_text(dir + "/cut/.fwmc.lock", "");
  write_text(dir + "/cut/.fwmc-tmp.checkpoint.bin.99999", "partial");
  const CmdResult cut = run_fwmc("run " + dir + "/c.toml --out " + dir + "/cut --resume-or-start");
  EXPECT_EQ(cut.code, 0) << cut.output;
  EXPECT_FALSE(fs::exists(dir + "/cut/.fwmc-tmp.checkpoint.bin.99999"));
  expect_same_outputs(dir + "/cut", dir + "/ref");
}

TEST(Resume, ARunInterruptedDuringItsTheoryStopsAtOnceAndKeepsItsStartRecord) {
  const std::string dir = temp_dir("resume_theory");
  const std::string toml = kRun;
  write_text(dir + "/c.toml", toml.substr(0, toml.find("[theory]")) + "[theory]\ndraws=50000000\n");
  const pid_t pid = spawn_fwmc({"run", dir + "/c.toml", "--out", dir + "/o"}, dir + "/o.log");
  for (int i = 0; i < 100 && !fs::exists(dir + "/o/checkpoint.bin"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(pid, SIGINT);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(wait_for(pid), 130) << slurp(dir + "/o.log");
  EXPECT_LT(seconds_since(t0), 2.0) << "the theory did not stop at SIGINT";
  EXPECT_TRUE(fs::exists(dir + "/o/checkpoint.bin"));
  EXPECT_NE(slurp(dir + "/o.log").find("fwmc run --resume"), std::string::npos) << slurp(dir + "/o.log");
  // The resumed run keeps its config: another one is refused, naming the key.
  const CmdResult r = run_fwmc("run --resume " + dir + "/o " + dir + "/c.toml --set theory.draws=2000");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("draws"), std::string::npos) << r.output;
}
