// Checkpoint/resume: the file format refuses damage, SIGINT leaves a checkpoint and no outputs, SIGKILL at random
// moments ten times and resuming each time gives bitwise the outputs of an uninterrupted run, and checkpoints
// from another config or version are refused. A checkpoint holds only the traces of the chain batches that
// finished (not a run-sized block of zeros), and resuming from one taken in any batch ends bitwise where an
// uninterrupted run ends.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "fwmc/atomic_file.hpp"
#include "fwmc/checkpoint.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/interrupt.hpp"
#include "fwmc/run_sampling.hpp"
#include "fwmc/theory.hpp"
#include "test_helpers.hpp"

using namespace fwmc;
using namespace fwmc::test;
namespace fs = std::filesystem;

namespace {

const char* kSmall =
    "[data]\nn_train=6\nn_test=2\ninput_dim=5\n[model]\nwidths=[12,12]\n[posterior]\nbeta=2.0\n"
    "[sampler]\nmethod='hmc'\nchains=16\ngroups=8\nchain_batch=8\nwarmup=300\nsamples=9000\nleapfrog_steps=4\n"
    "[output]\ncheckpoint_every=0.1\n";

pid_t spawn(const std::vector<std::string>& args, const std::string& log) { return spawn_fwmc(args, log); }

}  // namespace

TEST(Checkpoint, FileFormatRefusesTruncationAndCorruption) {
  CheckpointData d;
  d.version = "x";
  d.config_hash = 42;
  d.put("v", std::vector<double>{1, 2, 3});
  d.put_string("s", "hello");
  const std::string bytes = d.serialize();
  const CheckpointData r = CheckpointData::parse(bytes, "t");
  EXPECT_EQ(r.get<double>("v"), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(r.get_string("s"), "hello");
  EXPECT_EQ(r.config_hash, 42u);
  EXPECT_THROW(CheckpointData::parse(bytes.substr(0, bytes.size() - 1), "t"), InputError);
  for (std::size_t i : {std::size_t(3), bytes.size() / 2, bytes.size() - 9}) {
    std::string bad = bytes;
    bad[i] ^= 1;
    EXPECT_THROW(CheckpointData::parse(bad, "t"), InputError) << i;
  }
  EXPECT_THROW(r.get<double>("missing"), RuntimeError);
}

TEST(Checkpoint, SigkillTenTimesThenResumeEqualsAnUninterruptedRunBitwise) {
  const std::string dir = temp_dir("kill");
  write_text(dir + "/c.toml", kSmall);
  ASSERT_EQ(wait_for(spawn({"run", dir + "/c.toml", "--out", dir + "/ref"}, dir + "/ref.log")), 0)
      << slurp(dir + "/ref.log");
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> ms(300, 1200);
  const std::string out = dir + "/k";
  int kills = 0, resumed = 0;
  for (int round = 0; round < 10; ++round) {
    const bool resume = fs::exists(out + "/checkpoint.bin");
    resumed += resume;
    const pid_t pid = resume ? spawn({"run", "--resume", out}, dir + "/k.log")
                             : spawn({"run", dir + "/c.toml", "--out", out, "--force"}, dir + "/k.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(ms(rng)));
    kills += kill(pid, SIGKILL) == 0;
    wait_for(pid);
    // Whatever the moment, no output file is half-written: every .npy present parses as a whole. (A kill during
    // start-up may come before the directory exists.)
    if (!fs::exists(out)) continue;
    for (const auto& e : fs::directory_iterator(out)) {
      if (e.path().extension() == ".npy") {
        EXPECT_NO_THROW(read_npy(e.path().string())) << e.path();
      }
    }
  }
  EXPECT_EQ(kills, 10);
  EXPECT_GE(resumed, 6) << slurp(dir + "/k.log");  // kills during start-up (before a checkpoint) restart afresh
  const int rc = fs::exists(out + "/checkpoint.bin")
                     ? wait_for(spawn({"run", "--resume", out}, dir + "/k.log"))
                     : wait_for(spawn({"run", dir + "/c.toml", "--out", out, "--force"}, dir + "/k.log"));
  ASSERT_EQ(rc, 0) << slurp(dir + "/k.log");
  EXPECT_FALSE(fs::exists(out + "/checkpoint.bin"));  // removed once the run completes
  const auto a = run_outputs(out), b = run_outputs(dir + "/ref");
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, bytes] : b) EXPECT_TRUE(a.at(name) == bytes) << name << " differs";
}

namespace {

// Starts a run of kSmall into dir/o (log in dir/log), sends it `sig` after 0.7 s and returns its exit code.
int run_then_signal(const std::string& dir, int sig) {
  write_text(dir + "/c.toml", kSmall);
  const pid_t pid = spawn({"run", dir + "/c.toml", "--out", dir + "/o"}, dir + "/log");
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  kill(pid, sig);
  return wait_for(pid);
}

}  // namespace

TEST(Checkpoint, SighupIsHandledLikeSigterm) {
  // A closed terminal or a dropped SSH session sends SIGHUP: the run saves its checkpoint and stops (exit 130).
  const std::string dir = temp_dir("hup");
  ASSERT_EQ(run_then_signal(dir, SIGHUP), 130) << slurp(dir + "/log");
  EXPECT_TRUE(fs::exists(dir + "/o/checkpoint.bin"));
  EXPECT_EQ(run_fwmc("run --resume " + dir + "/o").code, 0);
  EXPECT_TRUE(fs::exists(dir + "/o/summary.json"));
  fs::remove_all(dir);
}

TEST(Checkpoint, SigintSavesACheckpointAndNoOutputsThenResumeCompletes) {
  const std::string dir = temp_dir("int");
  ASSERT_EQ(run_then_signal(dir, SIGINT), 130) << slurp(dir + "/log");
  EXPECT_NE(slurp(dir + "/log").find("fwmc run --resume"), std::string::npos) << slurp(dir + "/log");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir + "/o")) files.push_back(e.path().filename().string());
  EXPECT_EQ(files, std::vector<std::string>{"checkpoint.bin"});
  // Resuming under another config is refused; a bare resume completes.
  auto r = run_fwmc("run " + dir + "/c.toml --resume " + dir + "/o --set posterior.beta=3.0");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("different config"), std::string::npos) << r.output;
  r = run_fwmc("run --resume " + dir + "/o");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir + "/o/summary.json"));
}

TEST(Checkpoint, ForeignOrDamagedCheckpointsAndOccupiedOutputDirsAreRefused) {
  const std::string dir = temp_dir("foreign");
  fs::create_directories(dir + "/v");
  CheckpointData d;
  d.version = "0.0.0-other";
  write_file_atomic(dir + "/v/checkpoint.bin", d.serialize());
  auto r = run_fwmc("run --resume " + dir + "/v");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("written by fwmc 0.0.0-other"), std::string::npos) << r.output;
  write_file_atomic(dir + "/v/checkpoint.bin", "FWMCCKPT garbage");
  r = run_fwmc("run --resume " + dir + "/v");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("not a usable fwmc checkpoint"), std::string::npos) << r.output;
  r = run_fwmc("run --resume " + dir + "/nothing_here");
  EXPECT_EQ(r.code, 2) << r.output;
  // An existing, non-empty output directory needs --force.
  write_text(dir + "/c.toml",
             "[data]\nn_train=4\n[sampler]\nchains=4\ngroups=2\nwarmup=5\nsamples=5\n[model]\nwidths=[4,4]\n");
  fs::create_directories(dir + "/full");
  write_text(dir + "/full/keep.txt", "x");
  r = run_fwmc("run " + dir + "/c.toml --out " + dir + "/full");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("use --force"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/full/summary.json"));
  r = run_fwmc("run " + dir + "/c.toml --out " + dir + "/full --force");
  EXPECT_EQ(r.code, 0) << r.output;
}

TEST(Checkpoint, HoldsOnlyTheFinishedBatchesTracesAndResumesFromAnyBatchBitwise) {
  const Config c = parse_config(
      "[data]\nn_train=5\nn_test=1\ninput_dim=3\n[model]\nwidths=[6]\n[posterior]\nbeta=2.0\n"
      "[sampler]\nmethod='hmc'\nchains=12\ngroups=6\nchain_batch=4\nwarmup=100\nsamples=300\nleapfrog_steps=3\n",
      "batches.toml", {});
  const Dataset d = load_dataset(c);
  const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
  const auto phi = compute_phi(m, nngp_kernels(m, d.X).back(), d.P, d.Y, c.posterior.beta).phi;
  const RunPlan plan = plan_run(c, d, 1);
  const RunResult ref = run_sampling(plan, d, phi);

  const std::string dir = temp_dir("batches");
  CheckpointPolicy policy;
  policy.path = dir + "/checkpoint.bin";
  policy.every_s = 1e9;                                             // only the checkpoint an interrupt writes
  const long per_trace = static_cast<long>(c.sampler.samples) * 4;  // one batch's draws x chains
  // Interrupt in batch 1 (nothing finished), then in batch 3 (two finished), then run to the end.
  CheckpointData ck;
  for (const auto& [stop_batch, finished] : std::vector<std::pair<int, std::vector<long>>>{{1, {}}, {3, {0, 1}}}) {
    SCOPED_TRACE("interrupted in batch " + std::to_string(stop_batch));
    clear_interrupt();
    const ProgressFn stop = [sb = stop_batch](const Progress& p) {
      if (p.batch == sb && p.iteration > 200) request_interrupt();
    };
    EXPECT_THROW(run_sampling(plan, d, phi, stop, &policy), Interrupted);
    clear_interrupt();
    ck = CheckpointData::parse(slurp(policy.path), policy.path);
    policy.resume = &ck;
    EXPECT_EQ(ck.get_value<int>("batch"), stop_batch - 1);
    EXPECT_EQ(ck.get<long>("run/finished_batches"), finished);
    for (std::size_t k = 0; k < ref.traces.names.size(); ++k) {
      const std::string key = "run/batch_trace" + std::to_string(k);
      if (finished.empty())
        EXPECT_FALSE(ck.has(key));
      else
        EXPECT_EQ(static_cast<long>(ck.get<double>(key).size()), per_trace * static_cast<long>(finished.size()));
    }
  }
  // The same checkpoint in the layout of fwmc before 2026-11 (every chain's column, zeros where no batch finished).
  CheckpointData old = ck;
  old.erase("run/finished_batches");
  old.erase("run/batch");
  const int C = c.sampler.chains;
  for (std::size_t k = 0; k < ref.traces.values.size(); ++k) {
    old.erase("run/batch_trace" + std::to_string(k));
    std::vector<double> all(static_cast<std::size_t>(c.sampler.samples) * C, 0.0);
    for (long dr = 0; dr < c.sampler.samples; ++dr)
      for (int ch = 0; ch < 8; ++ch) all[dr * C + ch] = ref.traces.values[k][dr * C + ch];  // batches 0 and 1
    old.put("run/trace" + std::to_string(k), all);
  }
  for (const CheckpointData* from : {&ck, &old}) {
    SCOPED_TRACE(from == &ck ? "resumed" : "resumed from the old layout");
    policy.resume = from;
    const RunResult got = run_sampling(plan, d, phi, {}, &policy);
    ASSERT_EQ(got.traces.values.size(), ref.traces.values.size());
    for (std::size_t k = 0; k < ref.traces.values.size(); ++k)
      EXPECT_TRUE(got.traces.values[k] == ref.traces.values[k]) << ref.traces.names[k];
    for (std::size_t l = 0; l < ref.kernels.size(); ++l) {
      EXPECT_TRUE(got.kernels[l].mean.v == ref.kernels[l].mean.v) << "K" << l + 1;
      EXPECT_TRUE(got.kernels[l].mcse.v == ref.kernels[l].mcse.v) << "K" << l + 1;
    }
  }
}
