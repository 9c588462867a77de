// fwmc run / fwmc oracle end to end: the output contract, and exit 2 with nothing written for bad settings.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "fwmc/dataset.hpp"
#include "fwmc/devices.hpp"
#include "test_helpers.hpp"

using namespace fwmc;
using namespace fwmc::test;
namespace fs = std::filesystem;

namespace {

const char* kTiny =
    "[data]\nn_train=4\nn_test=2\ninput_dim=3\n[model]\nwidths=[6,5]\nactivation='tanh'\n"
    "[sampler]\nmethod='mala'\nchains=8\ngroups=4\nwarmup=50\nsamples=40\n[theory]\ndraws=2000\n";

}  // namespace

TEST(CliRun, WritesTheOutputContract) {
  auto dir = temp_dir("run");
  write_text(dir + "/c.toml", kTiny);
  auto r = run_fwmc("run " + dir + "/c.toml --out " + dir + "/out");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("R-hat max"), std::string::npos);
  auto j = nlohmann::json::parse(std::ifstream(dir + "/out/summary.json"));
  for (const char* k : {"fwmc_version", "config", "backend", "device", "precision", "timing", "diagnostics", "layers"})
    EXPECT_TRUE(j.contains(k)) << k;
  for (const char* k : {"total_s", "sampling_s", "theory_s", "chain_steps_per_s"})
    EXPECT_TRUE(j["timing"].contains(k)) << k;
  for (const char* k : {"rhat_max", "ess_bulk_min", "accept_rate_mean", "divergences", "nonfinite_chains"})
    EXPECT_TRUE(j["diagnostics"].contains(k)) << k;
  EXPECT_EQ(j["layers"].size(), 2u);
  EXPECT_EQ(j["config"]["sampler"]["method"], "mala");
  for (int l = 1; l <= 2; ++l)
    for (const char* kind : {"mean", "mcse", "nngp"}) {
      NpyArray a = read_npy(dir + "/out/K" + std::to_string(l) + "_" + kind + ".npy");
      EXPECT_EQ(a.shape, (std::vector<std::size_t>{6, 6})) << kind;
    }
  // Deep tanh has no closed form: the prior-moment theory is used, with its own standard error.
  EXPECT_EQ(j["theory"]["method"], "prior_moments");
  EXPECT_EQ(read_npy(dir + "/out/K2_theory_se.npy").shape, (std::vector<std::size_t>{6, 6}));
}

TEST(CliRun, DiagnosticsWithoutAValueReadNaInTheConsoleAndNullInJson) {
  // Three draws per chain: too few for R-hat and ESS (they are NaN), which the console prints as n/a (not "inf" or
  // "0.0000") and summary.json as null.
  auto dir = temp_dir("na");
  write_text(dir + "/c.toml",
             "[data]\nn_train=4\nn_test=1\ninput_dim=3\n[model]\nwidths=[4]\n"
             "[sampler]\nchains=4\ngroups=2\nwarmup=5\nsamples=3\n");
  auto r = run_fwmc("run " + dir + "/c.toml --out " + dir + "/o");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("R-hat max n/a (nested n/a), bulk ESS min n/a, tail ESS min n/a"), std::string::npos)
      << r.output;
  const auto j = nlohmann::json::parse(slurp(dir + "/o/summary.json"))["diagnostics"];
  for (const char* k : {"rhat_max", "rhat_nested_max", "ess_bulk_min", "ess_tail_min"})
    EXPECT_TRUE(j[k].is_null()) << k;
  std::filesystem::remove_all(dir);
}

TEST(CliRun, ForceClearsAnEarlierRunsFilesAndStaleTempFilesButNothingElse) {
  auto dir = temp_dir("force");
  const std::string cfg = dir + "/c.toml", out = dir + "/o";
  write_text(cfg,
             "[data]\nn_train=4\nn_test=1\ninput_dim=3\n[model]\nwidths=[4,4,4]\n"
             "[sampler]\nchains=4\ngroups=2\nwarmup=5\nsamples=5\n");
  ASSERT_EQ(run_fwmc("run " + cfg + " --out " + out).code, 0);
  ASSERT_TRUE(std::filesystem::exists(out + "/K3_mean.npy"));
  write_text(out + "/.fwmc-tmp.checkpoint.bin.99999", "half a checkpoint");  // a write killed midway
  write_text(out + "/my_notes.txt", "the user's");
  // The user's files that merely look like outputs, or like temp files, are not fwmc's.
  write_text(out + "/K1_weights.npy", "the user's");
  write_text(out + "/Q1_notes.npy", "the user's");
  write_text(out + "/data.tmp.123", "the user's");
  auto r = run_fwmc("run " + cfg + " --out " + out + " --force --set model.widths=[4]");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(out + "/K1_mean.npy"));
  for (const char* gone : {"K2_mean.npy", "K3_mean.npy", "K3_theory.npy", ".fwmc-tmp.checkpoint.bin.99999"})
    EXPECT_FALSE(std::filesystem::exists(out + "/" + gone)) << gone;
  for (const char* kept : {"my_notes.txt", "K1_weights.npy", "Q1_notes.npy", "data.tmp.123"})
    EXPECT_EQ(slurp(out + "/" + kept), "the user's") << kept;
  std::filesystem::remove_all(dir);
}

TEST(CliRun, OracleWritesItsEstimateAndEss) {
  auto dir = temp_dir("oracle");
  write_text(dir + "/c.toml", kTiny);
  auto r = run_fwmc("oracle " + dir + "/c.toml --draws 2000 --out " + dir + "/o");
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = nlohmann::json::parse(std::ifstream(dir + "/o/oracle.json"));
  EXPECT_GT(j["ess"].get<double>(), 100.0);
  EXPECT_EQ(read_npy(dir + "/o/K2_mcse.npy").shape, (std::vector<std::size_t>{6, 6}));
  EXPECT_EQ(run_fwmc("oracle --draws 10").code, 2);  // CONFIG is required
  // A healthy ESS that is merely below 1,000 (here most of 1,000 draws at a small beta) is not "degenerate".
  r = run_fwmc("oracle " + dir + "/c.toml --draws 1000 --set posterior.beta=0.05 --out " + dir + "/small");
  ASSERT_EQ(r.code, 0) << r.output;
  j = nlohmann::json::parse(std::ifstream(dir + "/small/oracle.json"));
  ASSERT_GT(j["ess"].get<double>(), 500.0);
  EXPECT_EQ(j.dump().find("degenerate"), std::string::npos) << j.dump();
}

TEST(CliRun, ImpossibleMemoryIsRefusedWithAChainCountThatFits) {
  auto dir = temp_dir("runmem");
  // All 64 chains in one batch (chain_batch = 0 would cut cache-sized batches on the CPU, which fit).
  auto r = run_fwmc(
      "run --set model.widths=[20000,20000] --set data.targets=noise --set sampler.chains=64 "
      "--set sampler.chain_batch=64 --out " +
      dir + "/o");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("[sampler] chains = 64"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("use chain_batch (or chains) <= "), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/o"));
}

TEST(CliRun, BadSamplerSettingsExitTwoAndWriteNothing) {
  auto dir = temp_dir("runbad");
  write_text(dir + "/c.toml", kTiny);
  std::vector<std::pair<std::string, std::string>> cases = {
      {"sampler.thin=0", "[sampler] thin"},
      {"sampler.step_size=0.0", "[sampler] step_size"},
      {"sampler.leapfrog_steps=0", "[sampler] leapfrog_steps"},
      {"sampler.method=nuts", "ula|mala|hmc"},
      {"sampler.groups=3", "must divide chains"},
      {"sampler.chain_batch=3", "[sampler] chain_batch"},
      {"sampler.mass=[1.0,2.0]", "needs L+1 = 3"},
      {"sampler.target_accept=1.5", "[sampler] target_accept"},
      {"sampler.precision=half", "float|double"},
      {"posterior.beta=-2.0", "[posterior] beta"},
  };
  if (cuda_devices().empty()) cases.push_back({"sampler.device=cuda", "device"});  // a GPU machine has one
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string out = dir + "/out" + std::to_string(i);
    auto r = run_fwmc("run " + dir + "/c.toml --out " + out + " --set '" + cases[i].first + "'");
    EXPECT_EQ(r.code, 2) << cases[i].first << ": " << r.output;
    EXPECT_NE(r.output.find(cases[i].second), std::string::npos) << cases[i].first << ": " << r.output;
    EXPECT_FALSE(fs::exists(out)) << cases[i].first;
  }
}

TEST(CliRun, CnnRunReportsTheSpatialTraceAndBothTheoryForms) {
  auto dir = temp_dir("runcnn");
  write_text(dir + "/c.toml",
             "[data]\nn_train=3\nn_test=1\ninput_shape=[5,2]\n[model]\narch='cnn1d'\nwidths=[4,4]\n"
             "[sampler]\nmethod='hmc'\nchains=8\ngroups=4\nwarmup=30\nsamples=30\nleapfrog_steps=3\n"
             "[theory]\ncompare_cnn_forms=true\n");
  auto r = run_fwmc("run " + dir + "/c.toml --out " + dir + "/o");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("distance in MCSE units"), std::string::npos);
  auto j = nlohmann::json::parse(std::ifstream(dir + "/o/summary.json"));
  ASSERT_EQ(j["layers"].size(), 2u);
  EXPECT_TRUE(j["layers"][1].contains("spatial_trace"));
  EXPECT_TRUE(j["layers"][1]["cnn_forms"].contains("distance_unpropagated_mcse"));
  EXPECT_EQ(read_npy(dir + "/o/K2_mean.npy").shape, (std::vector<std::size_t>{4, 4, 5, 5}));
}

TEST(CliRun, DryRunPrintsTheMemoryModelAndWritesNothing) {
  auto dir = temp_dir("dry");
  write_text(dir + "/c.toml", kTiny);
  auto r = run_fwmc("run " + dir + "/c.toml --dry-run --out " + dir + "/o");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* s : {"per chain (backend)", "theta, gradient, proposal", "kernel accumulators",
                        "traces of a batch and of the run", "expected peak"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
  EXPECT_FALSE(fs::exists(dir + "/o"));
  // A request that cannot fit is refused the same way with or without --dry-run.
  r = run_fwmc("run " + dir +
               "/c.toml --dry-run --set 'model.widths=[6000,6000]' --set sampler.chains=4096 "
               "--set sampler.groups=32 --out " +
               dir + "/o");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("[sampler] chains = 4096"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/o"));
}
