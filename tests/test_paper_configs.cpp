// configs/paper: each figure's CPU config runs in a tiny version and its report carries the paper's claims with
// verdicts; the full settings are refused on a CPU with a time estimate.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "fwmc/devices.hpp"
#include "test_helpers.hpp"

using namespace fwmc;
using namespace fwmc::test;
namespace fs = std::filesystem;

namespace {

const std::string kPaper = std::string(FWMC_SOURCE_DIR) + "/configs/paper/";

struct Tiny {
  const char* fig;
  const char* args;  // what makes it tiny: fewer inputs, widths, chains and draws
  int layers;
};

const Tiny kTiny[] = {
    {"fig1", "--widths 8,16 --set data.n_train=120", 3},
    {"fig2", "--widths 4,8 --set data.n_train=10", 2},
    {"fig3", "--widths 2,4 --set data.n_train=6", 2},
    {"fig4", "--widths 8,16 --set data.n_train=30 --set theory.draws=400", 3},
};

std::vector<std::string> claims_of(const nlohmann::json& j) {
  std::vector<std::string> out;
  for (const auto& c : j["claims"]["claims"]) out.push_back(c["claim"].get<std::string>());
  return out;
}

bool any_contains(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& x : v)
    if (x.find(s) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST(PaperConfigs, EachFigureRunsTinyAndReportsItsClaims) {
  const auto dir = temp_dir("paper");
  for (const Tiny& t : kTiny) {
    SCOPED_TRACE(t.fig);
    const std::string out = dir + "/" + t.fig;
    const auto r = run_fwmc("sweep " + kPaper + t.fig + "_cpu.toml --out " + out + " " + t.args +
                            " --set sampler.chains=4 --set sampler.groups=2 --set sampler.warmup=10"
                            " --set sampler.samples=10 --set sampler.leapfrog_steps=4");
    ASSERT_EQ(r.code, 0) << r.output;
    const auto j = nlohmann::json::parse(std::ifstream(out + "/sweep.json"));
    const auto claims = claims_of(j);
    // Every claim has a measurement and a verdict; every (width, layer) a convergence row.
    for (const auto& c : j["claims"]["claims"]) {
      EXPECT_FALSE(c["measured"].get<std::string>().empty());
      const std::string v = c["verdict"];
      EXPECT_TRUE(v == "holds" || v == "does not hold" || v == "not resolved (bounded)") << v;
    }
    EXPECT_EQ(j["claims"]["convergence"].size(), 2u * t.layers);
    for (const auto& c : j["claims"]["convergence"])
      for (const char* k : {"rhat_max", "rhat_nested_max", "drift_z_max", "rel_mcse_dK", "converged"})
        EXPECT_TRUE(c.contains(k)) << k;
    EXPECT_TRUE(any_contains(claims, "layer 1: ||<K> - K0|| falls as 1/n"));
    EXPECT_TRUE(any_contains(claims, "layer 2 / layer 1 deviation ratio"));
    EXPECT_TRUE(any_contains(claims, "residual ||<K> - K_th|| falls as 1/n^2"));
    const std::string fig = t.fig;
    if (fig == "fig4") {  // the bottleneck: layers 2 and 3 are claimed flat, layer 1 to fall
      EXPECT_TRUE(any_contains(claims, "layer 2: after a fixed-width layer"));
      EXPECT_TRUE(any_contains(claims, "layer 3: after a fixed-width layer"));
      EXPECT_FALSE(any_contains(claims, "layer 2: ||<K> - K0|| falls"));
    }
    std::string diffs;
    for (const auto& d : j["claims"]["original_code"]) diffs += d.get<std::string>();
    EXPECT_NE(diffs.find("squared Frobenius norm"), std::string::npos);
    EXPECT_EQ(diffs.find("unpropagated form") != std::string::npos, fig == "fig2" || fig == "fig3") << diffs;
    const std::string report = slurp(out + "/report.md");
    for (const char* s : {"## Claims", "## Convergence", "## Where the original code differs", "fig_heatmaps.png"})
      EXPECT_NE(report.find(s), std::string::npos) << s;
    EXPECT_NE(report.find("MNIST"), std::string::npos) << "the config's title heads the report";
    const std::string png = slurp(out + "/fig_heatmaps.png");
    ASSERT_GT(png.size(), 8u);
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  }
  // The regime warning counts the rank of the inputs' Gram matrix: centred 10x10 images span at most 99 directions.
  const auto th = nlohmann::json::parse(std::ifstream(dir + "/fig1/width_8/theory.json"));
  EXPECT_EQ(th["theory"]["data_rank"], 99);
  EXPECT_EQ(th["theory"]["p_depth_over_n"].dump(), "37.125") << "rank 99 x 3 layers / width 8";
}

TEST(PaperConfigs, FullSettingsOnACpuAreRefusedWithATimeEstimate) {
  if (!cuda_devices().empty()) GTEST_SKIP() << "a GPU answers: the full settings run";
  const auto dir = temp_dir("paperfull");
  const auto r = run_fwmc("sweep " + kPaper + "fig1.toml --out " + dir + "/f1");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("no GPU answers, and this sweep would take about"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("device = \"cpu\""), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/f1"));
  // Every config of the folder is valid, and the CPU ones say how long they take.
  for (const char* f : {"fig1", "fig2", "fig3", "fig4"}) {
    const auto d = run_fwmc("run " + kPaper + f + "_cpu.toml --dry-run");
    EXPECT_EQ(d.code, 0) << f << d.output;
    EXPECT_NE(d.output.find("estimated time on this CPU"), std::string::npos) << d.output;
  }
}
