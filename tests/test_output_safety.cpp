// Results that can be trusted unattended: an output folder has one writer (a lock naming the holder's pid), a
// kill at any step of the final writes never leaves a folder a reader could take for a complete result and
// --resume completes it bitwise, a full disk loses only the writing, and --resume refuses data that changed.
#include <gtest/gtest.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "fwmc/dataset.hpp"
#include "fwmc/output_folder.hpp"
#include "test_helpers.hpp"

using namespace fwmc;
using namespace fwmc::test;
namespace fs = std::filesystem;

namespace {

// Small enough that one run is a fraction of a second; checkpoints only at the end (the final one).
const char* kTiny =
    "[data]\nn_train=4\nn_test=1\ninput_dim=3\n[model]\nwidths=[4,4]\n[posterior]\nbeta=2.0\n"
    "[sampler]\nmethod='hmc'\nchains=4\ngroups=2\nwarmup=20\nsamples=40\nleapfrog_steps=2\n"
    "[output]\ncheckpoint_every=1e6\n";

std::vector<std::pair<std::string, std::string>> shim(const std::string& var, const std::string& value,
                                                      const std::string& within = "") {
  return {{"LD_PRELOAD", FWMC_FAULT_SHIM},
          {var, value},
          {"FWMC_FAULT_WITHIN", within},
          {"ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=0"}};
}

bool waits_for_file(const std::string& path, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (fs::exists(path) && fs::file_size(path) > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST(OutputSafety, KillAtEveryStepOfTheFinalWritesNeverLeavesAResultThatIsNotOneAndResumeCompletesIt) {
  const std::string dir = temp_dir("crash");
  write_text(dir + "/c.toml", kTiny);
  ASSERT_EQ(wait_for(spawn_fwmc({"run", dir + "/c.toml", "--out", dir + "/ref"}, dir + "/ref.log")), 0)
      << slurp(dir + "/ref.log");
  const auto ref = run_outputs(dir + "/ref");
  int killed = 0, in_output_phase = 0;
  for (int k = 1; k < 200; ++k) {
    SCOPED_TRACE("killed before file event " + std::to_string(k));
    const std::string out = dir + "/k" + std::to_string(k);
    const int rc = wait_for(spawn_fwmc({"run", dir + "/c.toml", "--out", out}, dir + "/k.log",
                                       shim("FWMC_FAULT_KILL_AT", std::to_string(k), out)));
    if (rc == 0) break;  // k is past the run's last file event
    ASSERT_EQ(rc, -SIGKILL) << slurp(dir + "/k.log");
    ++killed;
    // A reader takes a folder for a result when it has summary.json; then every file must be the run's.
    if (fs::exists(out + "/summary.json")) {
      EXPECT_TRUE(verify_manifest(out, "summary.json").empty());
      EXPECT_TRUE(run_outputs(out) == ref);
    }
    if (fs::exists(out + "/checkpoint.bin")) {  // the sampling had finished: --resume only writes
      ++in_output_phase;
      ASSERT_EQ(wait_for(spawn_fwmc({"run", "--resume", out}, dir + "/k.log")), 0) << slurp(dir + "/k.log");
      EXPECT_TRUE(verify_manifest(out, "summary.json").empty());
      const auto got = run_outputs(out);
      ASSERT_EQ(got.size(), ref.size());
      for (const auto& [name, bytes] : ref) EXPECT_TRUE(got.at(name) == bytes) << name << " differs";
      EXPECT_FALSE(fs::exists(out + "/checkpoint.bin"));
      for (const auto& e : fs::directory_iterator(out))  // no temp file, staging folder or lock left
        EXPECT_TRUE(e.path().filename().string().find(".tmp.") == std::string::npos &&
                    e.path().filename().string()[0] != '.')
            << e.path();
    } else if (!fs::exists(out + "/summary.json")) {
      // Killed before the final checkpoint: nothing a reader could mistake for a result.
      for (const auto& e : fs::directory_iterator(out)) EXPECT_TRUE(e.path().extension() != ".npy") << e.path();
    }
  }
  // The output phase has at least two events per file (staged, published) for its ~10 files.
  EXPECT_GE(in_output_phase, 15) << killed;
  std::printf("killed before each of %d file events; %d of them in the output phase, each resumed bitwise\n", killed,
              in_output_phase);
}

TEST(OutputSafety, DiskFullWhileWritingKeepsTheSamplingAndResumeWritesTheOutputs) {
  const std::string dir = temp_dir("full");
  write_text(dir + "/c.toml", kTiny);
  ASSERT_EQ(wait_for(spawn_fwmc({"run", dir + "/c.toml", "--out", dir + "/ref"}, dir + "/ref.log")), 0);
  const std::string out = dir + "/o";
  const int rc = wait_for(
      spawn_fwmc({"run", dir + "/c.toml", "--out", out}, dir + "/o.log", shim("FWMC_FAULT_ENOSPC", "K1_nngp")));
  const std::string log = slurp(dir + "/o.log");
  EXPECT_EQ(rc, 1) << log;
  EXPECT_NE(log.find("K1_nngp.npy: write failed (No space left on device)"), std::string::npos) << log;
  EXPECT_NE(log.find("fwmc run --resume " + out), std::string::npos) << log;
  EXPECT_TRUE(fs::exists(out + "/checkpoint.bin"));
  for (const auto& e : fs::directory_iterator(out))  // nothing half-written, nothing published
    EXPECT_TRUE(e.path().filename() == "checkpoint.bin") << e.path();
  ASSERT_EQ(wait_for(spawn_fwmc({"run", "--resume", out}, dir + "/r.log")), 0) << slurp(dir + "/r.log");
  EXPECT_TRUE(run_outputs(out) == run_outputs(dir + "/ref"));
}

TEST(OutputSafety, ASecondWriterIsRefusedNamingTheHoldersPid) {
  const std::string dir = temp_dir("lock");
  write_text(dir + "/c.toml", kTiny);
  write_text(dir + "/long.toml",
             "[data]\nn_train=4\nn_test=1\ninput_dim=3\n[model]\nwidths=[4,4]\n"
             "[sampler]\nchains=4\ngroups=2\nwarmup=10\nsamples=10000000\n");
  const std::string out = dir + "/o";
  const pid_t a = spawn_fwmc({"run", dir + "/long.toml", "--out", out}, dir + "/a.log");
  ASSERT_TRUE(waits_for_file(out + "/.fwmc.lock", 30)) << slurp(dir + "/a.log");
  for (const char* extra : {"", "--force"}) {
    const CmdResult b = run_fwmc("run " + dir + "/c.toml --out " + out + " " + extra);
    EXPECT_EQ(b.code, 2) << b.output;
    EXPECT_NE(b.output.find("in use by another fwmc process (pid " + std::to_string(a) + ")"), std::string::npos)
        << b.output << " / " << slurp(out + "/.fwmc.lock");
  }
  const CmdResult t = run_fwmc("theory " + dir + "/c.toml --force --out " + out);
  EXPECT_EQ(t.code, 2) << t.output;
  kill(a, SIGINT);
  EXPECT_EQ(wait_for(a), 130);
  EXPECT_FALSE(fs::exists(out + "/.fwmc.lock"));  // released: the folder can be resumed or reused
}

TEST(OutputSafety, TheoryAndOracleRefuseANonEmptyFolderUnlessForced) {
  const std::string dir = temp_dir("policy");
  write_text(dir + "/c.toml", kTiny);
  const std::string out = dir + "/run";
  ASSERT_EQ(run_fwmc("run " + dir + "/c.toml --out " + out).code, 0);
  const std::string mean = slurp(out + "/K1_mean.npy"), nngp = slurp(out + "/K1_nngp.npy");
  for (const std::string cmd : {"theory", "oracle"}) {
    SCOPED_TRACE(cmd);
    const CmdResult r = run_fwmc(cmd + " " + dir + "/c.toml --out " + out + (cmd == "oracle" ? " --draws 200" : ""));
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("not empty"), std::string::npos) << r.output;
    EXPECT_EQ(slurp(out + "/K1_mean.npy"), mean);  // the run's files are untouched
    EXPECT_EQ(slurp(out + "/K1_nngp.npy"), nngp);
  }
  write_text(out + "/notes.txt", "mine");
  const CmdResult f = run_fwmc("theory " + dir + "/c.toml --force --out " + out);
  ASSERT_EQ(f.code, 0) << f.output;
  EXPECT_FALSE(fs::exists(out + "/K1_mean.npy"));  // --force replaced the run's files with the theory's
  EXPECT_FALSE(fs::exists(out + "/summary.json"));
  EXPECT_TRUE(verify_manifest(out, "theory.json").empty());
  EXPECT_EQ(slurp(out + "/notes.txt"), "mine");
}

TEST(OutputSafety, ResumeRefusesDataThatChangedAndNamesTheKeyThatDiffers) {
  const std::string dir = temp_dir("prov");
  const double x[] = {1, 2, 3, 4, 5, 6, 7, 9, 8, 10, 11, 13}, y[] = {1, 0, 1, 0};
  write_npy(dir + "/x.npy", {4, 3}, x);
  write_npy(dir + "/y.npy", {4, 1}, y);
  write_text(dir + "/c.toml",
             "[data]\nkind='npy'\nx='x.npy'\ny='y.npy'\n[model]\nwidths=[4]\n"
             "[sampler]\nchains=4\ngroups=2\nwarmup=10\nsamples=10000000\n[output]\ncheckpoint_every=0.05\n");
  const std::string out = dir + "/o";
  const pid_t a = spawn_fwmc({"run", dir + "/c.toml", "--out", out}, dir + "/a.log");
  ASSERT_TRUE(waits_for_file(out + "/checkpoint.bin", 30)) << slurp(dir + "/a.log");
  kill(a, SIGINT);
  ASSERT_EQ(wait_for(a), 130) << slurp(dir + "/a.log");
  const double x2[] = {1, 2, 3, 4, 5, 6, 7, 9, 8, 10, 11, 14};  // one value changed, same config text
  write_npy(dir + "/x.npy", {4, 3}, x2);
  CmdResult r = run_fwmc("run --resume " + out);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("data.x (" + dir + "/x.npy): its content changed"), std::string::npos) << r.output;
  write_npy(dir + "/x.npy", {4, 3}, x);
  // A config given on resume that differs says which key.
  r = run_fwmc("run --resume " + out + " " + dir + "/c.toml --set posterior.beta=3.0");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("[posterior] beta: 1.0 -> 3.0"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(out + "/checkpoint.bin"));
}

TEST(OutputSafety, TheProgressLineFitsANarrowTerminal) {
  const std::string dir = temp_dir("tty");
  write_text(dir + "/c.toml",
             "[data]\nn_train=4\nn_test=1\ninput_dim=3\n[model]\nwidths=[4]\n"
             "[sampler]\nchains=4\ngroups=2\nwarmup=500\nsamples=2000\n");
  int master = -1;
  winsize ws{};
  ws.ws_col = 40;
  ws.ws_row = 20;
  const pid_t pid = forkpty(&master, nullptr, nullptr, &ws);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string c = dir + "/c.toml", o = dir + "/o";
    execl(FWMC_BINARY, FWMC_BINARY, "run", c.c_str(), "--out", o.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string screen;
  char buf[4096];
  for (ssize_t n; (n = read(master, buf, sizeof buf)) > 0;) screen.append(buf, static_cast<std::size_t>(n));
  close(master);
  EXPECT_EQ(wait_for(pid), 0) << screen;
  // Every redraw of the progress line ("\r\033[K" + line) fits in 39 columns, so it never wraps.
  int redraws = 0;
  for (std::size_t p = screen.find("\r\033[K"); p != std::string::npos; p = screen.find("\r\033[K", p + 1)) {
    const std::size_t end = screen.find_first_of("\r\n", p + 4);
    EXPECT_LE((end == std::string::npos ? screen.size() : end) - (p + 4), 39u) << screen.substr(p, 120);
    ++redraws;
  }
  EXPECT_GT(redraws, 3) << screen;
}
