// Restricting the accumulated kernel (output.kernel_inputs / kernel_positions): a restricted run measures exactly
// the selected entries of the full run with the same seed, with less memory; bad selections are input errors.
#include <gtest/gtest.h>

#include <filesystem>

#include "fwmc/dataset.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/memory_model.hpp"
#include "fwmc/run_plan.hpp"
#include "fwmc/run_sampling.hpp"
#include "fwmc/theory.hpp"
#include "test_helpers.hpp"

using namespace fwmc;
using namespace fwmc::test;

namespace {

Config small_cnn2d(const std::vector<std::string>& extra) {
  std::vector<std::string> ov = {
      "data.n_train=4",     "data.n_test=2",         "data.input_shape=[3,4,2]", "model.arch=cnn2d",
      "model.widths=[5,4]", "model.activation=relu", "sampler.chains=8",         "sampler.groups=4",
      "sampler.warmup=30",  "sampler.samples=40",    "sampler.leapfrog_steps=3", "sampler.precision=double"};
  ov.insert(ov.end(), extra.begin(), extra.end());
  return load_default_config(ov);
}

RunResult run(const Config& c) {
  const Dataset d = load_dataset(c);
  const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
  return run_sampling(plan_run(c, d, 1), d, Eigen::MatrixXd::Identity(d.P, d.P));
}

// Every entry of `part` equals the selected entry of `full` (mean and MCSE), up to GEMM rounding.
void expect_selected(const KernelEstimate& full, const KernelEstimate& part, const KernelSelection& s) {
  const KernelTensor fm = restrict_kernel(full.mean, s), fs = restrict_kernel(full.mcse, s);
  ASSERT_EQ(fm.shape(), part.mean.shape());
  ASSERT_EQ(fs.v.size(), part.mcse.v.size());
  for (std::size_t i = 0; i < fm.v.size(); ++i) {
    EXPECT_NEAR(part.mean.v[i], fm.v[i], 1e-10 * (1 + std::abs(fm.v[i]))) << i;
    EXPECT_NEAR(part.mcse.v[i], fs.v[i], 1e-10 * (1 + std::abs(fs.v[i]))) << i;
  }
}

}  // namespace

TEST(KernelSelection, RestrictKernelPicksTheEntries) {
  KernelTensor k(3, 2);
  for (std::size_t i = 0; i < k.v.size(); ++i) k.v[i] = static_cast<double>(i);
  const KernelTensor d = restrict_kernel(k, {{2, 0}, true});
  EXPECT_EQ(d.shape(), (std::vector<std::size_t>{2, 2, 2}));
  EXPECT_EQ(d.at(0, 1, 1, 1), k.at(2, 0, 1, 1));
  EXPECT_EQ(d.at(1, 1, 0, 0), k.at(0, 0, 0, 0));
  EXPECT_EQ(d.at(1, 0, 0, 1), 0.0);  // off the spatial diagonal: not stored
  const KernelTensor s = restrict_kernel(k, {{1}, false});
  EXPECT_EQ(s.shape(), (std::vector<std::size_t>{1, 1, 2, 2}));
  EXPECT_EQ(s.at(0, 0, 0, 1), k.at(1, 1, 0, 1));
}

TEST(KernelSelection, RestrictedRunsMeasureTheSameEntriesAsTheFullRun) {
  const RunResult full = run(small_cnn2d({}));
  const std::vector<std::pair<std::vector<std::string>, KernelSelection>> cases = {
      {{"output.kernel_positions=\"diagonal\""}, {{}, true}},
      {{"output.kernel_inputs=[5,0,2]"}, {{5, 0, 2}, false}},
      {{"output.kernel_inputs=[1,4]", "output.kernel_positions=\"diagonal\""}, {{1, 4}, true}}};
  for (const auto& [ov, sel] : cases) {
    SCOPED_TRACE(ov[0]);
    const RunResult part = run(small_cnn2d(ov));
    ASSERT_EQ(part.kernels.size(), 2u);
    for (int l = 0; l < 2; ++l) expect_selected(full.kernels[l], part.kernels[l], sel);
    // The traces do not depend on the selection, and the spatial trace of the diagonal is the full one's.
    EXPECT_EQ(part.traces.values, full.traces.values);
    if (sel.inputs.empty()) {
      for (int l = 0; l < 2; ++l)
        for (std::size_t i = 0; i < full.spatial_trace[l].mean.v.size(); ++i) {
          EXPECT_NEAR(part.spatial_trace[l].mean.v[i], full.spatial_trace[l].mean.v[i], 1e-12);
        }
    }
  }
}

TEST(KernelSelection, TheMemoryModelCountsOnlyTheSelectedEntries) {
  const Dataset d = load_dataset(small_cnn2d({}));
  auto memory = [&](const std::string& selection) {
    return plan_run(small_cnn2d({"output.estimator=\"plain\"", "sampler.chain_batch=8", selection}), d, 1).memory;
  };
  const auto full = memory("output.kernel_positions=\"all\"");
  const auto diag = memory("output.kernel_positions=\"diagonal\"");
  const auto sub = memory("output.kernel_inputs=[0,1]");
  // 4 groups x entries x (float scratch 8 B + 2 layers x 8 B) with D = 12, N = 6.
  const std::size_t per_entry = 4 * (8 + 16);
  EXPECT_EQ(full.shared - diag.shared, per_entry * (144 * 36 - 12 * 36));
  EXPECT_EQ(full.shared - sub.shared, per_entry * (144 * 36 - 144 * 4));
}

TEST(KernelSelection, BadSelectionsAreInputErrors) {
  EXPECT_THROW(small_cnn2d({"output.kernel_inputs=[1,1]"}), InputError);
  EXPECT_THROW(small_cnn2d({"output.kernel_inputs=[-1]"}), InputError);
  EXPECT_THROW(small_cnn2d({"output.kernel_positions=\"diag\""}), InputError);
  try {
    check_kernel_selection(small_cnn2d({"output.kernel_inputs=[0,6]"}), 6);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("kernel_inputs: index 6 is out of range"), std::string::npos) << e.what();
  }
}

TEST(KernelSelection, CliWritesTheSelectedShapes) {
  auto dir = temp_dir("sel");
  write_text(dir + "/c.toml",
             "[data]\nn_train=3\nn_test=1\ninput_shape=[5,2]\n[model]\narch='cnn1d'\nwidths=[4,4]\n"
             "[sampler]\nmethod='hmc'\nchains=8\ngroups=4\nwarmup=30\nsamples=30\nleapfrog_steps=3\n"
             "[theory]\ncompare_cnn_forms=true\n[output]\nkernel_inputs=[3,0]\nkernel_positions='diagonal'\n");
  auto r = run_fwmc("run " + dir + "/c.toml --out " + dir + "/o");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* kind : {"mean", "mcse", "nngp", "theory"})
    EXPECT_EQ(read_npy(dir + "/o/K2_" + std::string(kind) + ".npy").shape, (std::vector<std::size_t>{2, 2, 5})) << kind;
  write_text(dir + "/bad.toml", "[data]\nn_train=3\nn_test=1\n[output]\nkernel_inputs=[4]\n");
  r = run_fwmc("run " + dir + "/bad.toml --out " + dir + "/o2");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("kernel_inputs"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir + "/o2"));
}

// The Stein statistic R_l is multiplied in the cheaper order: K_in (Z delta^T)^T, or scale F (F^T delta) Z^T when
// the widths are below the data. Here the full run takes the second order in every layer (P = 8 training inputs,
// widths 4) and a run over one or two inputs the first: the same draws must give the same estimates.
TEST(KernelSelection, BothOrdersOfTheSteinProductsGiveTheSameEstimates) {
  auto fcn = [](const std::vector<std::string>& extra) {
    return parse_config(
        "[data]\nn_train=8\nn_test=2\ninput_dim=3\nseed=3\nnoise=0.5\n[model]\nwidths=[4,4]\n"
        "[posterior]\nbeta=2.0\n[sampler]\nmethod='hmc'\nchains=8\ngroups=4\nwarmup=20\nsamples=30\n"
        "leapfrog_steps=4\nprecision='double'\n",
        "order.toml", extra);
  };
  const RunResult full = run(fcn({}));
  for (const auto& [ov, sel] : std::vector<std::pair<std::string, KernelSelection>>{
           {"output.kernel_inputs=[3]", {{3}, false}}, {"output.kernel_inputs=[7,2]", {{7, 2}, false}}}) {
    SCOPED_TRACE(ov);
    const RunResult part = run(fcn({ov}));
    ASSERT_EQ(part.kernels.size(), 2u);
    for (int l = 0; l < 2; ++l) {
      expect_selected(full.kernels[l], part.kernels[l], sel);
      EXPECT_EQ(full.stein[l].kind.substr(0, 5), "exact");
    }
  }
}
