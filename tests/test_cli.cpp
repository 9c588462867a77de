// The command line end to end: outputs on success, exit 2 + clear message + nothing written on bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "fwmc/dataset.hpp"
#include "test_helpers.hpp"

using namespace fwmc;
using namespace fwmc::test;
namespace fs = std::filesystem;

TEST(Cli, VersionAndHelp) {
  auto r = run_fwmc("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.output.find("CUDA backend:"), std::string::npos);
  EXPECT_NE(r.output.find("CUDA devices:"), std::string::npos);
  r = run_fwmc("theory --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.output.find("--set"), std::string::npos);
  EXPECT_EQ(run_fwmc("frobnicate").code, 2);
  r = run_fwmc("oracle x.toml --draws 0");  // used to print a 309-digit range
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("--draws: must be a positive whole number"), std::string::npos) << r.output;
  EXPECT_LT(r.output.size(), 200u) << r.output;
  r = run_fwmc("");  // nothing asked for: the help, and not a success
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("Usage"), std::string::npos) << r.output;
}

TEST(Cli, TheoryWritesTheOutputContract) {
  auto dir = temp_dir("cli");
  write_text(dir + "/c.toml",
             "[data]\nn_train=5\nn_test=2\ninput_dim=4\n[model]\nwidths=[20,30,40]\nsigma=[1.2,0.9,1.1,0.8]\n");
  auto r = run_fwmc("theory " + dir + "/c.toml --out " + dir + "/out");
  ASSERT_EQ(r.code, 0) << r.output;
  for (int l = 1; l <= 3; ++l) {
    NpyArray k = read_npy(dir + "/out/K" + std::to_string(l) + "_theory.npy");
    EXPECT_EQ(k.shape, (std::vector<std::size_t>{7, 7}));
    EXPECT_TRUE(fs::exists(dir + "/out/K" + std::to_string(l) + "_nngp.npy"));
  }
  auto j = nlohmann::json::parse(std::ifstream(dir + "/out/theory.json"));
  EXPECT_EQ(j["theory"]["method"], "closed_form:deep_linear_fcn");
  EXPECT_EQ(j["config"]["model"]["widths"][2], 40);
  EXPECT_EQ(j["theory"]["layers"].size(), 3u);
}

TEST(Cli, MonteCarloTheoryWritesItsStandardError) {
  auto dir = temp_dir("climc");
  auto r = run_fwmc("theory --set model.widths=[50] --set model.activation=\"relu\" --set theory.draws=20000 --out " +
                    dir + "/o");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir + "/o/K1_theory_se.npy"));
  // Deep nonlinear fcn: no closed form; auto uses the prior-moment estimator and writes its standard error.
  r = run_fwmc("theory --set model.activation=\"tanh\" --set theory.draws=2000 --out " + dir + "/deep");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("prior_moments"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir + "/deep/K2_theory_se.npy"));
  // A nonlinear cnn has no closed form either: prior moments, with the (N, N, D, D) shape.
  r = run_fwmc(
      "theory --set model.arch=\"cnn1d\" --set data.input_shape=[5,2] --set model.activation=\"erf\" "
      "--set theory.draws=2000 --out " +
      dir + "/cnn");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("prior_moments"), std::string::npos);
  EXPECT_EQ(read_npy(dir + "/cnn/K2_theory_se.npy").shape, (std::vector<std::size_t>{8, 8, 5, 5}));
  r = run_fwmc("theory --set model.activation=\"tanh\" --set theory.method=\"closed_form\" --out " + dir + "/deep2");
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(fs::exists(dir + "/deep2"));
}

TEST(Cli, BadInputExitsTwoAndWritesNothing) {
  auto dir = temp_dir("clibad");
  std::vector<double> x = {1, 2, 3, 4}, y = {1, 2};
  write_npy(dir + "/x.npy", {2, 2}, x.data());
  write_npy(dir + "/y3.npy", {1}, y.data());
  struct Case {
    std::string toml, set, expect;
  };
  const std::vector<Case> cases = {
      {"[model]\nwidths = [4\n", "", "TOML syntax error"},
      {"[sampler]\nchainz = 4\n", "", "did you mean 'chains'"},
      {"[model]\nwidths = [0]\n", "", "[model] widths"},
      {"[model]\nsigma = [1.0]\nwidths=[3,3]\n", "", "needs L+1 = 3"},
      {"", "model.activation=\"softplus\"", "[model] activation"},
      {"[data]\nkind='npy'\nx='" + dir + "/nope.npy'\ny='" + dir + "/y3.npy'\n", "", "nope.npy: cannot open"},
      {"[data]\nkind='npy'\nx='" + dir + "/x.npy'\ny='" + dir + "/y3.npy'\n", "", "y3.npy: has 1 rows"},
      {"[model]\narch='cnn1d'\nwindow=7\n[data]\ninput_shape=[5,1]\n", "", "[model] window = 7"},
      {"", "posterior.beta=-1", "[posterior] beta"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string cfg = dir + "/c" + std::to_string(i) + ".toml", out = dir + "/out" + std::to_string(i);
    write_text(cfg, cases[i].toml);
    auto r =
        run_fwmc("theory " + cfg + " --out " + out + (cases[i].set.empty() ? "" : " --set '" + cases[i].set + "'"));
    EXPECT_EQ(r.code, 2) << i << ": " << r.output;
    EXPECT_NE(r.output.find(cases[i].expect), std::string::npos) << i << ": " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << i << ": one-line error: " << r.output;
    EXPECT_FALSE(fs::exists(out)) << i;
  }
  EXPECT_EQ(run_fwmc("theory " + dir + "/missing.toml").code, 2);
}
