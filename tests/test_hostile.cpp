// The classes of failure a hostile battery found (#30), one test or more each, beside the bad-input table
// (tests/test_bad_input.cpp): data loss in the output folder, hangs, wrong exit codes, a NaN result, and
// messages that must name the key. Each case here failed on the code before the fix.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "fwmc/errors.hpp"
#include "host/report/output_guard.hpp"
#include "test_helpers.hpp"

using namespace fwmc;
using namespace fwmc::test;
namespace fs = std::filesystem;

namespace {

const char* kTiny =
    "[data]\nn_train=4\nn_test=1\ninput_dim=3\n[model]\nwidths=[4]\n"
    "[sampler]\nchains=4\ngroups=2\nwarmup=5\nsamples=5\n";

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Sends SIGINT to a spawned fwmc after `ms` and returns (exit code, seconds from the signal to the exit).
std::pair<int, double> interrupt_after(pid_t pid, int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  kill(pid, SIGINT);
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = wait_for(pid);
  return {rc, seconds_since(t0)};
}

}  // namespace

// Class 3: a planted link is never followed, a lock that is not a regular file is refused, --force removes only
// what fwmc's manifests and checkpoints name.
TEST(Hostile, APlantedLockLinkIsNotFollowedAndItsTargetIsUntouched) {
  const std::string dir = temp_dir("lock_link");
  write_text(dir + "/c.toml", kTiny);
  write_text(dir + "/precious.txt", "the user's thesis");
  fs::create_directories(dir + "/o");
  fs::create_symlink(dir + "/precious.txt", dir + "/o/.fwmc.lock");
  const CmdResult r = run_fwmc("run " + dir + "/c.toml --out " + dir + "/o --force");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find(".fwmc.lock is a symbolic link"), std::string::npos) << r.output;
  EXPECT_EQ(slurp(dir + "/precious.txt"), "the user's thesis");
  // A FIFO as the lock: named as what it is (it was "not writable (Invalid argument)").
  fs::remove(dir + "/o/.fwmc.lock");
  ASSERT_EQ(mkfifo((dir + "/o/.fwmc.lock").c_str(), 0644), 0);
  const CmdResult f = run_fwmc("run " + dir + "/c.toml --out " + dir + "/o --force");
  EXPECT_EQ(f.code, 2) << f.output;
  EXPECT_NE(f.output.find(".fwmc.lock is not a regular file"), std::string::npos) << f.output;
}

TEST(Hostile, ResumeRefusesALinkedOrFifoCheckpointAtOnce) {
  const std::string dir = temp_dir("ckpt_link");
  fs::create_directories(dir + "/o");
  fs::create_symlink("/dev/zero", dir + "/o/checkpoint.bin");
  auto t0 = std::chrono::steady_clock::now();
  const CmdResult r = run_fwmc("run --resume " + dir + "/o");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("checkpoint.bin: is a symbolic link"), std::string::npos) << r.output;
  EXPECT_LT(seconds_since(t0), 2.0);  // it read 4.3 GB of /dev/zero before
  fs::remove(dir + "/o/checkpoint.bin");
  ASSERT_EQ(mkfifo((dir + "/o/checkpoint.bin").c_str(), 0644), 0);
  t0 = std::chrono::steady_clock::now();
  const CmdResult f = run_command("timeout 10 " FWMC_BINARY " run --resume " + dir + "/o");
  EXPECT_EQ(f.code, 2) << f.output;  // it blocked for ever in open() before
  EXPECT_NE(f.output.find("checkpoint.bin: is not a regular file"), std::string::npos) << f.output;
  EXPECT_LT(seconds_since(t0), 2.0);
}

// Class 5: every long loop stops at SIGINT.
TEST(Hostile, SigintStopsTheMonteCarloTheoryAtOnce) {
  const std::string dir = temp_dir("theory_int");
  write_text(dir + "/c.toml",
             "[data]\nn_train=6\nn_test=2\ninput_dim=5\n[model]\nwidths=[16]\nactivation='relu'\n"
             "[theory]\ndraws=100000000\n");
  for (const char* cmd : {"theory", "run"}) {
    const pid_t pid = spawn_fwmc({cmd, dir + "/c.toml", "--out", dir + "/" + cmd}, dir + "/log");
    const auto [rc, s] = interrupt_after(pid, 1500);
    EXPECT_EQ(rc, 130) << cmd << "\n" << slurp(dir + "/log");
    EXPECT_LT(s, 2.0) << cmd;  // it ran on for more than 20 s
  }
}

TEST(Hostile, SigintStopsCsvLoading) {
  const std::string dir = temp_dir("csv_int");
  {
    std::ofstream x(dir + "/x.csv"), y(dir + "/y.csv");
    for (int i = 0; i < 600000; ++i) {
      x << i % 7 << ".25," << i % 5 << ".5," << i % 3 << ".75," << i % 11 << ".125,1.0625,2.5,3.75,4.125\n";
      y << i % 2 << "\n";
    }
  }
  write_text(dir + "/c.toml",
             "[data]\nkind='csv'\nx='x.csv'\ny='y.csv'\nn_train=8\n[model]\nwidths=[4]\n"
             "[sampler]\nchains=4\ngroups=2\nwarmup=5\nsamples=5\n");
  const pid_t pid = spawn_fwmc({"run", dir + "/c.toml", "--out", dir + "/o"}, dir + "/log");
  const auto [rc, s] = interrupt_after(pid, 400);
  EXPECT_EQ(rc, 130) << slurp(dir + "/log");
  EXPECT_LT(s, 0.5);  // the interrupt took effect only after the whole file was read
  EXPECT_FALSE(fs::exists(dir + "/o"));
}

TEST(Hostile, HugeSweepsAndOracleDrawsAreRefusedBeforeAllocating) {
  const std::string dir = temp_dir("huge_args");
  write_text(dir + "/c.toml", kTiny);
  const auto t0 = std::chrono::steady_clock::now();
  const CmdResult r = run_fwmc("sweep " + dir + "/c.toml --widths 4,8 --repeats 2147483647 --out " + dir + "/s");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--repeats 2147483647"), std::string::npos) << r.output;
  EXPECT_LT(seconds_since(t0), 2.0);
  const CmdResult o = run_fwmc("oracle " + dir + "/c.toml --draws 1180591620717411303424 --out " + dir + "/or");
  EXPECT_EQ(o.code, 2) << o.output;
  EXPECT_NE(o.output.find("--draws"), std::string::npos) << o.output;
  EXPECT_FALSE(fs::exists(dir + "/s"));
  EXPECT_FALSE(fs::exists(dir + "/or"));
}

// Class 6: the right outcome and exit code.
TEST(Hostile, ArgumentsThatMeantNothingAreErrors) {
  const std::string dir = temp_dir("args");
  write_text(dir + "/c.toml", kTiny);
  const CmdResult w = run_fwmc("sweep " + dir + "/c.toml --widths 16,,32 --out " + dir + "/s");
  EXPECT_EQ(w.code, 2) << w.output;
  EXPECT_NE(w.output.find("--widths 16,,32"), std::string::npos) << w.output;
  const CmdResult o = run_command("cd " + dir + " && " FWMC_BINARY " run c.toml --out ''");
  EXPECT_EQ(o.code, 2) << o.output;
  EXPECT_NE(o.output.find("--out ''"), std::string::npos) << o.output;
  EXPECT_FALSE(fs::exists(dir + "/fwmc_out"));
  EXPECT_EQ(std::count(o.output.begin(), o.output.end(), '\n'), 1) << o.output;
}

TEST(Hostile, AReportThatCannotBePrintedIsAFailure) {
  const std::string dir = temp_dir("dev_full");
  write_text(dir + "/c.toml", kTiny);
  const CmdResult r = run_command("{ " FWMC_BINARY " run " + dir + "/c.toml --out " + dir + "/o > /dev/full; }");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("writing the report to standard output failed"), std::string::npos) << r.output;
}

TEST(Hostile, ACnnCsvReshapesItsTestInputsLikeItsInputs) {
  const std::string dir = temp_dir("cnn_csv");
  std::ofstream x(dir + "/x.csv"), xt(dir + "/xt.csv"), y(dir + "/y.csv");
  for (int i = 0; i < 5; ++i) {
    for (int k = 0; k < 10; ++k) x << (k ? "," : "") << std::sin(1.0 + i * 10 + k);
    x << "\n";
    y << i % 2 << "\n";
  }
  for (int k = 0; k < 10; ++k) xt << (k ? "," : "") << std::cos(1.0 + k);
  xt << "\n";
  x.close(), xt.close(), y.close();
  write_text(dir + "/c.toml",
             "[data]\nkind='csv'\nx='x.csv'\ny='y.csv'\nx_test='xt.csv'\ninput_shape=[5,2]\nnormalize='center_unit'\n"
             "[model]\narch='cnn1d'\nwidths=[4]\n[sampler]\nchains=4\ngroups=2\nwarmup=5\nsamples=5\n");
  const CmdResult r = run_fwmc("run " + dir + "/c.toml --out " + dir + "/o");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir + "/o/K1_mean.npy"));
}

// Class 7: --resume with --set names the one key that changed, not the embedded default's differences.
TEST(Hostile, ResumeWithSetNamesOnlyTheKeyThatChanged) {
  const std::string dir = temp_dir("resume_set");
  write_text(
      dir + "/c.toml",
      std::string(kTiny) + "[posterior]\nbeta=2.0\n[theory]\ndraws=1000000000\n[output]\ncheckpoint_every=0.1\n");
  const pid_t pid =
      spawn_fwmc({"run", dir + "/c.toml", "--out", dir + "/o", "--set", "model.activation=relu"}, dir + "/log");
  interrupt_after(pid, 800);
  ASSERT_TRUE(fs::exists(dir + "/o/checkpoint.bin")) << slurp(dir + "/log");
  const CmdResult r = run_fwmc("run --resume " + dir + "/o --set posterior.beta=3.0");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("[posterior] beta: 2.0 -> 3.0"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("more"), std::string::npos) << r.output;  // "... and 13 more" before
  EXPECT_EQ(r.output.find("input_dim"), std::string::npos) << r.output;
}

// Class 2: a non-finite value in an output array is a failure naming the array; a dropped chain's NaN tail in
// the traces is not.
TEST(Hostile, ANonFiniteOutputIsAFailureNamingTheArray) {
  Config c = parse_config(kTiny, "t.toml");
  JobResult job;
  KernelEstimate e;
  e.mean = KernelTensor(2, 1);
  e.mcse = KernelTensor(2, 1);
  job.run.kernels = {e};
  job.run.traces.chains = 2;
  job.run.traces.draws = 3;
  job.run.traces.names = {"U"};
  // (draw-major: chain 0, chain 1 per draw) chain 1 dropped after its first draw
  job.run.traces.values = {{1.0, 2.0, 1.5, NAN, 1.2, NAN}};
  EXPECT_NO_THROW(check_outputs_finite(c.sampler.precision, "", job));
  job.run.traces.values = {{1.0, NAN, 1.5, 2.0, 1.2, 2.5}};  // NaN, then finite again: not a drop
  EXPECT_THROW(check_outputs_finite(c.sampler.precision, "", job), RuntimeError);
  job.run.traces.values = {{1.0, 2.0, 1.5, 2.5, 1.2, 2.5}};
  job.run.kernels[0].mean.v[3] = NAN;
  try {
    check_outputs_finite(c.sampler.precision, "", job);
    ADD_FAILURE() << "a NaN kernel mean passed";
  } catch (const RuntimeError& err) {
    EXPECT_NE(std::string(err.what()).find("K1_mean.npy: 1 of 4 entries are not finite"), std::string::npos)
        << err.what();
  }
}
