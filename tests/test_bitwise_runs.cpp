// `fwmc run` gives byte-identical output arrays for any thread count and any chain batching: every model path
// (linear fcn through the weight product and through the layers, erf and relu with MALA and HMC, cnn1d), in float
// and double. ctest runs this file again under fixed BLAS kernel sets (Bitwise.<kernels>), since which rounding a
// BLAS call does depends on the kernels the CPU's BLAS picks (docs/reliability.md "Reproducibility").
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fwmc/config.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/run_plan.hpp"
#include "test_helpers.hpp"

using namespace fwmc::test;

namespace {

struct RunCase {
  const char* name;
  const char* toml;
};

// 16 chains in 8 groups, so batches of 4 and 8 chains are valid; sizes where the GEMMs reach the BLAS.
const char* kData = "[data]\nn_train=24\nn_test=3\ninput_dim=20\noutput_dim=3\nseed=2\n[posterior]\nbeta=2.0\n";
const char* kChains = "chains=16\ngroups=8\nwarmup=30\nsamples=30\nleapfrog_steps=4\n[theory]\ndraws=2000\n";

const RunCase kCases[] = {
    {"linear_product_hmc", "[model]\nwidths=[24,16]\nevaluation='product'\n[sampler]\nmethod='hmc'\n"},
    {"linear_layers_hmc", "[model]\nwidths=[24,16]\nevaluation='layers'\n[sampler]\nmethod='hmc'\n"},
    {"erf_mala", "[model]\nwidths=[24,16]\nactivation='erf'\n[sampler]\nmethod='mala'\n"},
    {"erf_hmc", "[model]\nwidths=[24]\nactivation='erf'\n[sampler]\nmethod='hmc'\n"},
    {"relu_mala", "[model]\nwidths=[24]\nactivation='relu'\n[sampler]\nmethod='mala'\n"},
    {"relu_hmc", "[model]\nwidths=[24,16]\nactivation='relu'\n[sampler]\nmethod='hmc'\n"},
    // Per-chain leapfrog counts (chains past theirs stand still in the batch): 0.3 / h spans several counts.
    {"linear_trajectory_hmc", "[model]\nwidths=[24,16]\n[sampler]\nmethod='hmc'\ntrajectory_length=0.3\n"},
};
const char* kCnn =
    "[data]\nn_train=10\nn_test=2\ninput_shape=[12,3]\noutput_dim=2\nseed=2\n[posterior]\nbeta=2.0\n"
    "[model]\narch='cnn1d'\nwidths=[8,6]\nwindow=3\n[sampler]\nmethod='hmc'\n";

// Runs one config with a thread count and chain batch; returns the run's .npy files byte for byte.
std::map<std::string, std::string> arrays(const std::string& dir, const std::string& tag, int threads, int batch,
                                          const std::string& precision) {
  const std::string out = dir + "/" + tag;
  const CmdResult r = run_command("OMP_NUM_THREADS=" + std::to_string(threads) + " " FWMC_BINARY " run " + dir +
                                  "/c.toml --out " + out + " --set sampler.chain_batch=" + std::to_string(batch) +
                                  " --set sampler.precision=" + precision);
  EXPECT_EQ(r.code, 0) << r.output;
  auto m = run_outputs(out);
  m.erase("summary.json");  // timing and the thread count differ; its numbers come from the arrays compared here
  return m;
}

void expect_bitwise(const std::string& name, const std::string& toml) {
  const std::string dir = temp_dir("bitwise_" + name);
  write_text(dir + "/c.toml", toml);
  for (const char* precision : {"float", "double"}) {
    const auto ref = arrays(dir, std::string(precision) + "_t1_b0", 1, 0, precision);
    ASSERT_GE(ref.size(), 5u) << name;
    if (toml.find("trajectory_length") != std::string::npos) {  // the counts must differ, or nothing is masked
      const auto j = nlohmann::json::parse(slurp(dir + "/" + precision + "_t1_b0/summary.json"));
      EXPECT_LT(j["diagnostics"]["gradients_per_iteration"]["min"].get<int>(),
                j["diagnostics"]["gradients_per_iteration"]["max"].get<int>())
          << name;
    }
    const struct { int threads, batch; } variants[] = {{2, 0}, {2, 4}, {1, 8}};
    for (const auto& v : variants) {
      const std::string tag =
          std::string(precision) + "_t" + std::to_string(v.threads) + "_b" + std::to_string(v.batch);
      const auto got = arrays(dir, tag, v.threads, v.batch, precision);
      ASSERT_EQ(got.size(), ref.size()) << name << " " << tag;
      for (const auto& [file, bytes] : ref)
        EXPECT_TRUE(got.at(file) == bytes)
            << name << " " << tag << ": " << file << " differs from 1 thread, no batching";
    }
  }
}

}  // namespace

TEST(BitwiseRuns, FcnOutputsDoNotDependOnThreadsOrChainBatching) {
  for (const RunCase& c : kCases)
    expect_bitwise(c.name, std::string(kData) + c.toml + kChains + "[output]\nestimator='both'\n");
}

TEST(BitwiseRuns, CnnOutputsDoNotDependOnThreadsOrChainBatching) {
  expect_bitwise("cnn1d", std::string(kCnn) + kChains + "[output]\nestimator='both'\n");
}

// chain_batch = 0 on the CPU: batches whose step vectors fit the 32 MiB budget, in whole chain groups, at least 2
// chains; all chains on a GPU, and an explicit chain_batch as given. (Any batching gives the same outputs: above.)
TEST(ChainBatch, ZeroPicksCacheSizedBatchesInWholeGroupsOnTheCpu) {
  const auto batch = [](const std::string& widths, int groups, const std::string& extra, bool cuda = false) {
    const fwmc::Config c = fwmc::parse_config(
        "[data]\nn_train=20\nn_test=2\ninput_dim=100\n[model]\nwidths=" + widths +
            "\nactivation='linear'\n[sampler]\nmethod='hmc'\nchains=8\ngroups=" + std::to_string(groups) + "\n" + extra,
        "batch.toml", {});
    const fwmc::Dataset d = fwmc::load_dataset(c);
    fwmc::RunPlan p = fwmc::plan_run(c, d, 1);
    p.device.cuda = cuda;
    return fwmc::chain_batch_size(c, p, 1);
  };
  // 786k weights: 5 vectors x 3.1 MB = 15.7 MB per chain in float, so 2 chains fit; in double one would, but a
  // batch keeps 2 for the cores.
  EXPECT_EQ(batch("[600,600,600]", 8, ""), 2);
  EXPECT_EQ(batch("[600,600,600]", 8, "precision='double'\n"), 2);
  EXPECT_EQ(batch("[400,400,400]", 8, ""), 4);  // 6.9 MiB per chain: 4 chains fit, 8 do not
  EXPECT_EQ(batch("[250,250,250]", 8, ""), 8);  // 2.9 MiB per chain: all 8 fit
  EXPECT_EQ(batch("[600,600,600]", 2, ""), 4);  // groups of 4 chains: one group, over the budget
  EXPECT_EQ(batch("[8]", 8, ""), 8);            // small nets: every chain together
  EXPECT_EQ(batch("[600,600,600]", 8, "chain_batch=8\n"), 8);
  EXPECT_EQ(batch("[600,600,600]", 8, "", true), 8);  // a GPU advances all chains
}
