#include <gtest/gtest.h>

#include "fwmc/config.hpp"
#include "fwmc/errors.hpp"

using namespace fwmc;

namespace {

std::string error_of(const std::string& toml, const std::vector<std::string>& ov = {}) {
  try {
    parse_config(toml, "t.toml", ov);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Config, EmbeddedDefaultParses) {
  Config c = load_default_config();
  EXPECT_EQ(c.model.arch, Arch::fcn);
  EXPECT_EQ(c.model.sigma.size(), c.model.widths.size() + 1);
}

TEST(Config, ScalarSigmaBroadcastsAndListNeedsLPlusOne) {
  Config c = parse_config("[model]\nwidths=[4,5,6]\nsigma=2.0\n", "t.toml");
  EXPECT_EQ(c.model.sigma, (std::vector<double>{2, 2, 2, 2}));
  c = parse_config("[model]\nwidths=[4,5]\nsigma=[1.0,2.0,3.0]\n", "t.toml");
  EXPECT_EQ(c.model.sigma[2], 3.0);
  EXPECT_NE(error_of("[model]\nwidths=[4,5]\nsigma=[1.0,2.0]\n").find("needs L+1 = 3"), std::string::npos);
}

TEST(Config, UnknownKeysGetDidYouMean) {
  std::string e = error_of("[sampler]\nstep_sise = 0.1\n");
  EXPECT_NE(e.find("unknown key [sampler] step_sise"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'step_size'"), std::string::npos) << e;
  e = error_of("[modle]\narch='fcn'\n");
  EXPECT_NE(e.find("unknown section [modle]"), std::string::npos) << e;
  EXPECT_NE(e.find("'model'"), std::string::npos) << e;
}

TEST(Config, TypesRangesAndAllowedValues) {
  EXPECT_NE(error_of("[sampler]\nchains = \"many\"\n").find("[sampler] chains = \"many\": expected an integer"),
            std::string::npos);
  EXPECT_NE(error_of("[sampler]\nchains = 0\n").find("must be in [1"), std::string::npos);
  EXPECT_NE(error_of("[sampler]\nstep_size = -1.0\n").find("step_size"), std::string::npos);
  EXPECT_NE(error_of("[sampler]\nmethod = \"nuts\"\n").find("ula|mala|hmc"), std::string::npos);
  EXPECT_NE(error_of("[model]\nactivation = \"rleu\"\n").find("did you mean 'relu'"), std::string::npos);
  EXPECT_NE(error_of("[model]\nwindow = 4\n").find("must be odd"), std::string::npos);
  EXPECT_NE(error_of("[model]\nwidths = []\n").find("at least one"), std::string::npos);
  EXPECT_NE(error_of("[posterior]\nbeta = nan\n").find("beta"), std::string::npos);
  EXPECT_NE(error_of("[sampler]\nchains = 10\ngroups = 4\n").find("must divide"), std::string::npos);
  EXPECT_NE(error_of("[data]\nkind = \"npy\"\n").find("needs x"), std::string::npos);
}

TEST(Config, CnnCrossFieldRules) {
  EXPECT_NE(error_of("[model]\narch=\"cnn1d\"\n").find("input_shape"), std::string::npos);
  EXPECT_NE(error_of("[model]\narch=\"cnn1d\"\nwindow=5\n[data]\ninput_shape=[3,2]\n").find("larger than"),
            std::string::npos);
  Config c = parse_config("[model]\narch=\"cnn2d\"\nwindow=3\n[data]\ninput_shape=[4,4,1]\n", "t.toml");
  EXPECT_EQ(c.data.input_shape.size(), 3u);
}

TEST(Config, SyntaxErrorNamesLine) {
  std::string e = error_of("[model]\nwidths = [1,\n");
  EXPECT_NE(e.find("t.toml:"), std::string::npos) << e;
  EXPECT_NE(e.find("TOML syntax error"), std::string::npos) << e;
}

TEST(Config, SetOverrides) {
  Config c = parse_config("", "t.toml", {"sampler.method=mala", "model.widths=[3,4,5]", "posterior.beta=0.5"});
  EXPECT_EQ(c.sampler.method, "mala");
  EXPECT_EQ(c.model.widths.size(), 3u);
  EXPECT_EQ(c.model.sigma.size(), 4u);
  EXPECT_DOUBLE_EQ(c.posterior.beta, 0.5);
  EXPECT_NE(error_of("", {"sampler.chainz=3"}).find("did you mean 'chains'"), std::string::npos);
  EXPECT_NE(error_of("", {"nodot=3"}).find("expected section.key=value"), std::string::npos);
  EXPECT_NE(error_of("", {"sampler.chains=-3"}).find("chains"), std::string::npos);
  // Spaces around '=' and the dot are layout: 'sampler.method = mala' is sampler.method=mala.
  Config spaced = parse_config("", "t.toml", {"sampler.method = mala", " posterior . beta= 0.25 "});
  EXPECT_EQ(spaced.sampler.method, "mala");
  EXPECT_DOUBLE_EQ(spaced.posterior.beta, 0.25);
}

TEST(Config, ResolvedJsonEchoesEveryValue) {
  Config c = parse_config("[model]\nwidths=[7]\n", "t.toml");
  std::string j = config_to_json(c);
  EXPECT_NE(j.find("\"widths\": [\n      7"), std::string::npos) << j;
  EXPECT_NE(j.find("\"cnn_form\": \"propagated\""), std::string::npos);
}

TEST(Config, EditDistance) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("abc", "abc"), 0u);
}

TEST(Config, EveryKeyAddedBeyondDesignRejectsGarbage) {
  // Keys of the schema (docs/configuration.md) fed wrong types and values: each error names the key.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[sampler]\nadapt = \"yes\"\n", "[sampler] adapt = \"yes\": expected true or false"},
      {"[sampler]\nchain_batch = -1\n", "[sampler] chain_batch"},
      {"[sampler]\nmass = [1.0, 0.0]\n", "[sampler] mass"},
      {"[sampler]\nmass = \"heavy\"\n", "[sampler] mass"},
      {"[data]\ntargets = \"teachr\"\n", "did you mean 'teacher'"},
      {"[data]\nnoise = -0.5\n", "[data] noise"},
      {"[data]\nresize = [10]\n", "[data] resize = [ 10 ]: expected [h, w]"},
      {"[data]\nkind = \"idx\"\nx = \"a\"\ny = \"b\"\nresize = [5, 5]\nresize_method = \"bicubic\"\n",
       "[data] resize_method"},
      {"[data]\nkind = \"idx\"\nx = \"a\"\ny = \"b\"\nresize_method = \"skimage\"\n",
       "[data] resize_method = \"skimage\": applies only with resize = [h, w]"},
      {"[sweep]\ntitle = 3\n", "[sweep] title"},
      {"[data]\ninput_shape = [4, 0]\n", "[data] input_shape"},
      {"[theory]\ncompare_cnn_forms = 1\n", "[theory] compare_cnn_forms = 1: expected true or false"},
      {"[theory]\nseed = -3\n", "[theory] seed"},
      {"[theory]\ndraws = 10\n", "[theory] draws"},
      {"[theory]\ncnn_form = \"both\"\n", "propagated|unpropagated"},
      {"[output]\ndir = \"\"\n", "[output] dir"},
      {"[output]\ncheckpoint_every = 0\n", "[output] checkpoint_every"},
      {"[output]\nkernel_inputs = [0, -2]\n", "[output] kernel_inputs"},
      {"[output]\nkernel_inputs = \"all\"\n", "[output] kernel_inputs"},
      {"[output]\nkernel_positions = \"diag\"\n", "[output] kernel_positions"},
      {"[output]\nestimator = \"zero_variance\"\n", "[output] estimator"},
      {"[output]\nestimator = true\n", "[output] estimator"},
      {"[data]\nnormalize = \"l2\"\n", "[data] normalize"},
      {"[sampler]\ndivergence_budget = -2\n", "[sampler] divergence_budget"},
      {"[sampler]\ndivergence_budget = 1.5\n", "[sampler] divergence_budget"},
      {"[sampler]\ntrajectory_length = -1.0\n", "[sampler] trajectory_length"},
      {"[sampler]\ntrajectory_length = \"long\"\n", "[sampler] trajectory_length"},
      {"[sampler]\nmethod = \"mala\"\ntrajectory_length = 1.5\n",
       "[sampler] trajectory_length = 1.5: is an HMC setting"},
  };
  for (const auto& [toml, expect] : cases) {
    const std::string e = error_of(toml);
    EXPECT_NE(e.find(expect), std::string::npos) << toml << " -> " << e;
  }
}
