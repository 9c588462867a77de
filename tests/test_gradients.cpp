// grad U by backpropagation against central finite differences in double, every activation and depth.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "fd_check.hpp"
#include "fwmc/backend.hpp"
#include "fwmc/fcn_model.hpp"
#include "fwmc/reference_net.hpp"

using namespace fwmc;

namespace {

Dataset small_data(int P, int Pt, int n0, int nd, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  Dataset d;
  d.P = P;
  d.P_test = Pt;
  d.input_shape = {n0};
  d.X.resize(P + Pt, n0);
  d.Y.resize(P, nd);
  for (int j = 0; j < n0; ++j)
    for (int i = 0; i < P + Pt; ++i) d.X(i, j) = g(rng);
  for (int j = 0; j < nd; ++j)
    for (int i = 0; i < P; ++i) d.Y(i, j) = g(rng);
  return d;
}

}  // namespace

TEST(Gradients, MatchFiniteDifferencesForEveryActivationAndDepth) {
  auto be = make_cpu_backend<double>();
  for (int act = -1; act <= 4; ++act)  // -1: linear through the weight products, 0: linear through the layers
    for (int L : {1, 2, 3}) {
      ModelSpec m;
      m.activation = static_cast<Activation>(std::max(act, 0));
      m.evaluation = act == -1 ? Evaluation::product : Evaluation::layers;
      m.widths = std::vector<int>{4, 5, 3};
      m.widths.resize(L);
      m.sigma.assign(L + 1, 1.0);
      m.sigma[0] = 1.3;
      m.sigma[L] = 0.7;
      m.in_channels = 3;
      m.n_out = 2;
      Dataset d = small_data(5, 2, 3, 2, 10 + act * 3 + L);
      const int C = 3;
      FcnModel<double> model(*be, m, d, 1.7, C, 0);
      ASSERT_EQ(model.weight_product(), act == -1);
      const long n = model.state_size();
      std::vector<double> theta(n);
      std::mt19937_64 rng(std::max(act, 0) * 10 + L);
      std::normal_distribution<double> g;
      // Moderate weights keep U small enough (quadratic L = 3 is a degree-16 polynomial) that the stencil's
      // rounding error, ~1e-16 |U| / eps, stays below the 1e-6 relative tolerance.
      for (double& t : theta) t = 0.6 * g(rng);
      const double worst = test::fd_gradient_error(model, theta);
      EXPECT_LT(worst, 1e-6) << activation_name(m.activation) << (act == -1 ? " (product)" : "") << " L=" << L;
    }
}

TEST(Gradients, ForwardMatchesTheReferenceNetwork) {
  // The batched forward pass equals the plain per-network reference (docs/theory.md 1) for every chain.
  auto be = make_cpu_backend<double>();
  ModelSpec m;
  m.activation = Activation::tanh;
  m.widths = {6, 4};
  m.sigma = {1.0, 1.2, 0.8};
  m.in_channels = 3;
  m.n_out = 2;
  Dataset d = small_data(4, 3, 3, 2, 99);
  const int C = 2;
  FcnModel<double> model(*be, m, d, 1.0, C, 0);
  std::mt19937_64 rng(1);
  std::vector<NetWeights> nets;
  std::vector<double> theta(model.state_size());
  for (int c = 0; c < C; ++c) {
    nets.push_back(sample_prior(m, rng));
    for (int l = 1; l <= 3; ++l) {
      const auto& b = model.blocks()[l - 1];
      const Eigen::MatrixXd Wt = nets[c].W[l - 1].transpose();  // stored transposed, column-major
      for (long k = 0; k < b.layout.per_chain; ++k) theta[b.offset + c * b.layout.per_chain + k] = Wt.data()[k];
    }
  }
  Buffer<double, double> th(*be, theta.size());
  th.upload(theta);
  model.forward(th.data());
  std::vector<double> f(static_cast<std::size_t>(C) * d.N() * 2);
  be->to_host(f.data(), model.output(), f.size() * sizeof(double));
  for (int c = 0; c < C; ++c) {
    Forward ref = reference_forward(m, nets[c], d.X);
    for (int j = 0; j < 2; ++j)
      for (int i = 0; i < d.N(); ++i) EXPECT_NEAR(f[c * d.N() * 2 + i + j * d.N()], ref.f(i, j), 1e-12);
  }
}

TEST(Gradients, WeightProductEqualsLayerByLayerEvaluation) {
  // A linear fcn's U and grad U through the weight products equal the layer-by-layer ones to rounding, for
  // several depths, output widths and P above and below the widths (double; both are exact in exact arithmetic).
  auto be = make_cpu_backend<double>();
  struct Case {
    std::vector<int> widths;
    int n0, nd, P, Pt;
  };
  for (const Case& k : {Case{{7}, 5, 1, 9, 2}, Case{{12, 9}, 6, 3, 4, 0}, Case{{8, 16, 5}, 10, 2, 30, 3}}) {
    ModelSpec m;
    m.widths = k.widths;
    m.sigma.assign(k.widths.size() + 1, 0.9);
    m.in_channels = k.n0;
    m.n_out = k.nd;
    Dataset d = small_data(k.P, k.Pt, k.n0, k.nd, 7 + k.P);
    const int C = 3;
    m.evaluation = Evaluation::product;
    FcnModel<double> prod(*be, m, d, 2.5, C, 0);
    m.evaluation = Evaluation::layers;
    FcnModel<double> lay(*be, m, d, 2.5, C, 0);
    ASSERT_TRUE(prod.weight_product());
    ASSERT_FALSE(lay.weight_product());
    std::mt19937_64 rng(k.P);
    std::normal_distribution<double> g;
    std::vector<double> theta(prod.state_size());
    for (double& t : theta) t = g(rng);
    Buffer<double, double> th(*be, theta.size()), g1(*be, theta.size()), g2(*be, theta.size());
    th.upload(theta);
    std::vector<double> U1, U2;
    prod.evaluate(th.data(), g1.data(), U1);
    lay.evaluate(th.data(), g2.data(), U2);
    const auto a = g1.download(), b = g2.download();
    double gscale = 0, worst = 0;
    for (double v : b) gscale = std::max(gscale, std::abs(v));
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]) / gscale);
    EXPECT_LT(worst, 1e-13) << "widths " << k.widths.size();
    for (int c = 0; c < C; ++c) EXPECT_NEAR(U1[c], U2[c], 1e-13 * std::abs(U2[c])) << "chain " << c;
  }
}

TEST(Gradients, AutomaticEvaluationPicksTheCheaperPath) {
  ModelSpec m;
  m.widths = {512, 512};
  m.sigma.assign(3, 1.0);
  m.in_channels = 100;
  m.n_out = 10;
  // P = 256: the products cost ~ 3 n^2 n_d, the layers ~ 3 P n^2.
  EXPECT_LT(product_evaluation_flops(m, 256), 0.1 * layers_evaluation_flops(m, 256));
  EXPECT_TRUE(uses_weight_product(m, 256));
  // One example and many outputs: the layers are cheaper.
  m.n_out = 400;
  EXPECT_FALSE(uses_weight_product(m, 1));
  m.n_out = 10;
  m.evaluation = Evaluation::layers;
  EXPECT_FALSE(uses_weight_product(m, 256));
  m.evaluation = Evaluation::automatic;
  m.activation = Activation::tanh;
  EXPECT_FALSE(uses_weight_product(m, 256));
  m.activation = Activation::linear;
  m.arch = Arch::cnn1d;
  EXPECT_FALSE(uses_weight_product(m, 256));
}
