// grad U by backpropagation against central finite differences in double, every activation and depth.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "fwmc/backend.hpp"
#include "fwmc/fcn_model.hpp"
#include "fwmc/reference_net.hpp"
#include "fd_check.hpp"

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
  for (int act = 0; act <= 4; ++act)
    for (int L : {1, 2, 3}) {
      ModelSpec m;
      m.activation = static_cast<Activation>(act);
      m.widths = std::vector<int>{4, 5, 3}; m.widths.resize(L);
      m.sigma.assign(L + 1, 1.0);
      m.sigma[0] = 1.3;
      m.sigma[L] = 0.7;
      m.in_channels = 3;
      m.n_out = 2;
      Dataset d = small_data(5, 2, 3, 2, 10 + act * 3 + L);
      const int C = 3;
      FcnModel<double> model(*be, m, d, 1.7, C, 0);
      const long n = model.state_size();
      std::vector<double> theta(n);
      std::mt19937_64 rng(act * 10 + L);
      std::normal_distribution<double> g;
      // Moderate weights keep U small enough (quadratic L = 3 is a degree-16 polynomial) that the stencil's
      // rounding error, ~1e-16 |U| / eps, stays below the 1e-6 relative tolerance.
      for (double& t : theta) t = 0.6 * g(rng);
      const double worst = test::fd_gradient_error(model, theta);
      EXPECT_LT(worst, 1e-6) << activation_name(m.activation) << " L=" << L;
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
