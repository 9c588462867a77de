// fwmc sweep end to end on a tiny problem, and the log-log fit it reports.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fwmc/sweep_report.hpp"
#include "test_helpers.hpp"

using namespace fwmc;
using namespace fwmc::test;
namespace fs = std::filesystem;

namespace {}  // namespace

TEST(Sweep, LogLogFitRecoversAKnownPowerLaw) {
  std::vector<double> x = {16, 32, 64, 128}, y, se;
  for (double v : x) {
    y.push_back(3.0 * std::pow(v, -1.5));
    se.push_back(0.01 * 3.0 * std::pow(v, -1.5));
  }
  SlopeFit f = fit_loglog(x, y, se);
  EXPECT_NEAR(f.slope, -1.5, 1e-12);
  EXPECT_NEAR(std::exp(f.intercept), 3.0, 1e-10);
  // SE of the slope from the point errors: sd(log y) = 0.01 each, over log x spread.
  double mx = 0, sxx = 0;
  for (double v : x) mx += std::log(v) / 4;
  for (double v : x) sxx += std::pow(std::log(v) - mx, 2);
  EXPECT_NEAR(f.slope_se, 0.01 / std::sqrt(sxx), 1e-12);
}

TEST(Sweep, WritesTableFitsFiguresAndReportAndResumes) {
  auto dir = temp_dir("sweep");
  write_text(dir + "/c.toml",
             "[data]\nn_train=4\nn_test=1\ninput_dim=5\nseed=2\n[model]\nwidths=[8]\n[posterior]\nbeta=2.0\n"
             "[sampler]\nmethod='hmc'\nchains=16\ngroups=8\nwarmup=100\nsamples=150\nleapfrog_steps=4\n");
  auto r = run_fwmc("sweep " + dir + "/c.toml --widths 8,16,32 --out " + dir + "/s");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string csv = slurp(dir + "/s/sweep.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);  // header + 3 widths x 1 layer
  EXPECT_NE(csv.find("residual_bias_corrected"), std::string::npos);
  auto j = nlohmann::json::parse(std::ifstream(dir + "/s/sweep.json"));
  ASSERT_EQ(j["fits"].size(), 1u);
  EXPECT_EQ(j["fits"][0]["dK_exp"]["points"], 3);
  EXPECT_LT(j["fits"][0]["dK_exp"]["slope"].get<double>(), -0.5);  // the correction falls with width
  for (const char* f : {"fig_deviation.png", "fig_scatter.png"}) {
    const std::string png = slurp(dir + "/s/" + f);
    ASSERT_GT(png.size(), 8u) << f;
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << f;
    EXPECT_GT(png.size(), 15000u) << f << ": an empty plot of this layout is ~8 kB";
  }
  // Data drawn: gnuplot's SVG draws each point as a <use> element; an empty plot of this layout has 7.
  auto uses = [&](const char* f) {
    const std::string svg = slurp(dir + "/s/" + f);
    EXPECT_NE(svg.find("<svg"), std::string::npos) << f;
    std::size_t n = 0;
    for (std::size_t p = svg.find("<use"); p != std::string::npos; p = svg.find("<use", p + 1)) ++n;
    return n;
  };
  EXPECT_GE(uses("fig_scatter.svg"), 7u + 3 * 25);   // 3 widths x 25 kernel entries
  EXPECT_GE(uses("fig_deviation.svg"), 7u + 3 * 2);  // 3 widths x (deviation, theory) markers at least
  const std::string report = slurp(dir + "/s/report.md");
  EXPECT_NE(report.find("fig_deviation.png"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir + "/s/width_16/summary.json"));
  // Rerun: finished widths are reused, not recomputed.
  r = run_fwmc("sweep " + dir + "/c.toml --widths 8,16,32 --out " + dir + "/s");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("finished earlier"), std::string::npos);
  // A rerun of another setup into the same folder never mixes runs: refused naming what differs, the folder
  // untouched (not even the materialised data); --force reruns what differs.
  const std::string data_x = slurp(dir + "/s/data_x.npy"), w8 = slurp(dir + "/s/width_8/K1_mean.npy");
  for (const auto& [set, says] : std::vector<std::pair<std::string, std::string>>{
           {"posterior.beta=20.0", "[posterior] beta: 2.0 -> 20.0"}, {"data.n_train=5", "data.x"}}) {
    r = run_fwmc("sweep " + dir + "/c.toml --widths 8,16,32 --set " + set + " --out " + dir + "/s");
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find(says), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("width_8 is from another setup"), std::string::npos) << r.output;
  }
  EXPECT_EQ(slurp(dir + "/s/data_x.npy"), data_x);
  EXPECT_EQ(slurp(dir + "/s/width_8/K1_mean.npy"), w8);
  // A damaged summary of one width is named, not a JSON exception.
  write_text(dir + "/s/width_16/summary.json", "{\"layers\": [");
  r = run_fwmc("sweep " + dir + "/c.toml --widths 8,16,32 --out " + dir + "/s");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("width_16 is from another setup (summary.json is not valid JSON)"), std::string::npos)
      << r.output;
  r = run_fwmc("sweep " + dir + "/c.toml --widths 8,16,32 --set posterior.beta=20.0 --force --out " + dir + "/s");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.find("finished earlier"), std::string::npos) << r.output;
  EXPECT_EQ(nlohmann::json::parse(std::ifstream(dir + "/s/width_16/summary.json"))["config"]["posterior"]["beta"],
            20.0);
  // A folder that holds something else is not taken for a sweep.
  fs::create_directories(dir + "/other");
  write_text(dir + "/other/notes.txt", "mine");
  r = run_fwmc("sweep " + dir + "/c.toml --widths 8,16 --out " + dir + "/other");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("holds no fwmc sweep"), std::string::npos) << r.output;
  // Bad arguments: exit 2 before anything runs.
  EXPECT_EQ(run_fwmc("sweep " + dir + "/c.toml --widths 8,0 --out " + dir + "/bad").code, 2);
  EXPECT_EQ(run_fwmc("sweep " + dir + "/c.toml --widths 8,16 --widths-pattern n,x --out " + dir + "/bad2").code, 2);
  // Arguments that used to give nonsense fits: a width twice, one width, a pattern without n.
  for (const auto& [args, says] : std::vector<std::pair<std::string, std::string>>{
           {"--widths 8,16,8", "listed twice"},
           {"--widths 8", "at least two widths"},
           {"--widths 8,16 --widths-pattern 4,4", "has no n"},
           {"--widths 8,2000000", "from 1 to 1000000"},
           {"--widths 8,16 --widths-pattern n,2000000", "from 1 to 1000000"}}) {
    r = run_fwmc("sweep " + dir + "/c.toml " + args + " --out " + dir + "/bad3");
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_NE(r.output.find(says), std::string::npos) << r.output;
  }
  EXPECT_FALSE(fs::exists(dir + "/bad"));
  EXPECT_FALSE(fs::exists(dir + "/bad3"));
}

TEST(Sweep, CnnEntriesAreChosenFromTheKernelShape) {
  EXPECT_TRUE(cnn_figure_entries({4, 4}).empty());
  const auto full = cnn_figure_entries({3, 3, 5, 5});
  ASSERT_EQ(full.size(), 4u);
  EXPECT_EQ(full[1].index, ((0 * 3 + 1) * 5 + 0) * 5 + 0u);
  EXPECT_EQ(full[3].label, "K(0,1)_{0,2}");
  EXPECT_EQ(full[3].index, ((0 * 3 + 1) * 5 + 0) * 5 + 2u);
  const auto diag = cnn_figure_entries({3, 3, 5});
  ASSERT_EQ(diag.size(), 3u);
  EXPECT_EQ(diag[2].index, 2u);  // K(0,0)_{2,2} in the diagonal layout (a*N + b)*D + i
}

TEST(Sweep, CnnSweepDrawsTheSelectedEntriesFigure) {
  auto dir = temp_dir("sweepcnn");
  write_text(dir + "/c.toml",
             "[data]\nn_train=3\nn_test=1\ninput_shape=[5,1]\nseed=2\n[model]\narch='cnn1d'\nwidths=[4]\n"
             "[posterior]\nbeta=2.0\n[sampler]\nmethod='hmc'\nchains=8\ngroups=4\nwarmup=60\nsamples=60\n"
             "leapfrog_steps=3\n");
  auto r = run_fwmc("sweep " + dir + "/c.toml --widths 4,8,16 --out " + dir + "/s");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string png = slurp(dir + "/s/fig_cnn_entries.png");
  ASSERT_GT(png.size(), 8u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(png.size(), 15000u) << "an empty plot of this layout is ~8 kB";
  const std::string svg = slurp(dir + "/s/fig_cnn_entries.svg");
  std::size_t uses = 0;
  for (std::size_t p = svg.find("<use"); p != std::string::npos; p = svg.find("<use", p + 1)) ++uses;
  EXPECT_GE(uses, 3u * 4);  // 3 widths x 4 entries, each a marker
  EXPECT_NE(slurp(dir + "/s/report.md").find("fig_cnn_entries.png"), std::string::npos);
  // The plotted data are n dK at the chosen entries of each width's outputs.
  std::ifstream dat(dir + "/s/plot_data/cnn_entries_L1.dat");
  std::string header;
  std::getline(dat, header);
  int w;
  double v[12];
  ASSERT_TRUE(dat >> w);
  for (double& x : v) dat >> x;
  EXPECT_EQ(w, 4);
  EXPECT_GT(v[1], 0.0);  // an MCSE
}
