// Theory engine against independent references: quadrature, Monte Carlo, exact first-layer covariances.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "fwmc/reference_net.hpp"
#include "fwmc/theory.hpp"

using namespace fwmc;

namespace {

ModelSpec fcn(std::vector<int> widths, Activation a, int n0, int nd, std::vector<double> sigma = {}) {
  ModelSpec m;
  m.arch = Arch::fcn;
  m.activation = a;
  m.widths = widths;
  m.sigma = sigma.empty() ? std::vector<double>(widths.size() + 1, 1.0) : sigma;
  m.in_channels = n0;
  m.n_out = nd;
  return m;
}

Eigen::MatrixXd gaussian(int r, int c, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd;
  Eigen::MatrixXd X(r, c);
  for (int j = 0; j < c; ++j)
    for (int i = 0; i < r; ++i) X(i, j) = nd(rng);
  return X;
}

// Phi for a given model on data X (first P rows train), targets Y.
Eigen::MatrixXd phi_of(const ModelSpec& m, const Eigen::MatrixXd& X, int P, const Eigen::MatrixXd& Y, double beta) {
  auto K0 = nngp_kernels(m, X);
  return compute_phi(m, K0.back(), P, Y, beta).phi;
}

}  // namespace

TEST(Nngp, ClosedFormsMatchGaussHermite) {
  const double covs[][3] = {{1.0, 1.0, 0.3}, {2.0, 0.5, -0.6}, {0.7, 1.3, 0.9}, {1.5, 1.5, 1.49}};
  for (auto c : covs) {
    // erf and quadratic are smooth: 64-node quadrature is accurate to near machine precision.
    EXPECT_NEAR(activation_kernel(Activation::erf, c[0], c[1], c[2]),
                gauss_hermite_kernel(Activation::erf, c[0], c[1], c[2], 64), 1e-9);
    EXPECT_NEAR(activation_kernel(Activation::quadratic, c[0], c[1], c[2]),
                gauss_hermite_kernel(Activation::quadratic, c[0], c[1], c[2], 16), 1e-10);
    // relu has a kink, so quadrature converges algebraically: compare at 400 nodes (error ~1e-5 of scale).
    const double r = activation_kernel(Activation::relu, c[0], c[1], c[2]);
    EXPECT_NEAR(r, gauss_hermite_kernel(Activation::relu, c[0], c[1], c[2], 400), 2e-4 * std::sqrt(c[0] * c[1]));
    EXPECT_DOUBLE_EQ(activation_kernel(Activation::linear, c[0], c[1], c[2]), c[2]);
  }
}

TEST(Nngp, TanhQuadratureMatchesMonteCarlo) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> nd;
  const double s11 = 1.2, s22 = 0.8, s12 = 0.5;
  const double l21 = s12 / std::sqrt(s11), l22 = std::sqrt(s22 - l21 * l21);
  const int M = 400000;
  double s = 0, s2 = 0;
  for (int k = 0; k < M; ++k) {
    const double z1 = nd(rng), z2 = nd(rng);
    const double v = std::tanh(std::sqrt(s11) * z1) * std::tanh(l21 * z1 + l22 * z2);
    s += v;
    s2 += v * v;
  }
  const double mean = s / M, se = std::sqrt((s2 / M - mean * mean) / M);
  EXPECT_LT(std::abs(activation_kernel(Activation::tanh, s11, s22, s12) - mean) / se, 4.0);
}

TEST(Theory, DeepLinearFcnLayerOneMatchesExactPriorCovariance) {
  // For a deep linear net E[K_out | K_1] = s_out (s_L / s_1) K_1 exactly, and the first layer's prior covariance is
  // s_1^2 (G_ac G_bd + G_ad G_bc) / n_1, so section 3 for layer 1 can be evaluated entrywise without the closed form.
  const int P = 5, N = 7, n0 = 6, nd = 2;
  ModelSpec m = fcn({30, 40, 50}, Activation::linear, n0, nd, {1.3, 0.8, 1.1, 0.9});
  Eigen::MatrixXd X = gaussian(N, n0, 1), Y = gaussian(P, nd, 2);
  auto K0 = nngp_kernels(m, X);
  const Eigen::MatrixXd G = X * X.transpose() / n0;
  Eigen::MatrixXd phi = compute_phi(m, K0[3], P, Y, 1.7).phi;
  auto th = deep_linear_fcn_theory(m, K0, phi, P);
  const double s1 = 1.3 * 1.3, sL = s1 * 0.64 * 1.21, sout = 0.81;
  double maxrel = 0;
  for (int a = 0; a < N; ++a)
    for (int b = 0; b < N; ++b) {
      double corr = 0;
      for (int mu = 0; mu < P; ++mu)
        for (int nu = 0; nu < P; ++nu)
          corr += phi(mu, nu) * sout * (sL / s1) * s1 * s1 * (G(a, mu) * G(b, nu) + G(a, nu) * G(b, mu)) / 30.0;
      const double expect = s1 * G(a, b) + nd / 2.0 * corr;
      maxrel = std::max(maxrel, std::abs(th[0].at(a, b) - expect) / std::abs(nd / 2.0 * corr + 1e-300));
    }
  EXPECT_LT(maxrel, 1e-9);
  // Deeper layers: the correction is s_l/s_1 * (sum_{m<=l} 1/n_m) / (1/n_1) times layer 1's.
  for (int l = 2; l <= 3; ++l) {
    double sl = s1 * 0.64 * (l == 3 ? 1.21 : 1.0), inv = 1.0 / 30 + 1.0 / 40 + (l == 3 ? 1.0 / 50 : 0.0);
    for (int a = 0; a < N; ++a)
      for (int b = 0; b < N; ++b) {
        const double d1 = th[0].at(a, b) - K0[1].at(a, b), dl = th[l - 1].at(a, b) - K0[l].at(a, b);
        EXPECT_NEAR(dl, d1 * (sl / s1) * inv * 30.0, 1e-12 * std::abs(dl) + 1e-15);
      }
  }
}

TEST(Theory, CnnWithOnePositionAndWindowOneIsTheFcn) {
  const int P = 4, N = 6, n0 = 5;
  ModelSpec f = fcn({10, 12, 14}, Activation::linear, n0, 1, {1.1, 0.9, 1.2, 0.7});
  ModelSpec c = f;
  c.arch = Arch::cnn1d;
  c.spatial = {1};
  c.window = 1;
  Eigen::MatrixXd X = gaussian(N, n0, 4), Y = gaussian(P, 1, 5);
  auto Kf = nngp_kernels(f, X), Kc = nngp_kernels(c, X);
  Eigen::MatrixXd phi = phi_of(f, X, P, Y, 2.0);
  auto tf = deep_linear_fcn_theory(f, Kf, phi, P);
  for (bool prop : {true, false}) {
    auto tc = deep_linear_cnn_theory(c, Kc, phi, P, prop);
    for (int l = 0; l < 3; ++l)
      for (std::size_t i = 0; i < tf[l].v.size(); ++i) EXPECT_NEAR(tc[l].v[i], tf[l].v[i], 1e-12);
  }
}

TEST(Theory, Cnn1dLayerOneMatchesExactPriorCovariance) {
  // Layer 1 of a deep linear cnn: Cov[K1(a,b)_ij, K_out(mu,nu)] = s_out (s_L/s_1) (s_1^2/c_1) (1/D) sum_p
  // [C(a,mu)_ip C(b,nu)_jp + C(a,nu)_ip C(b,mu)_jp], C = A K0_0 (exact: A preserves the trace).
  const int P = 3, N = 4, D = 5, c0 = 2;
  ModelSpec m = fcn({6, 7, 8}, Activation::linear, c0, 1, {1.2, 0.9, 1.1, 0.8});
  m.arch = Arch::cnn1d;
  m.spatial = {D};
  m.window = 3;
  Eigen::MatrixXd X = gaussian(N, D * c0, 6), Y = gaussian(P, 1, 7);
  auto K0 = nngp_kernels(m, X);
  Eigen::MatrixXd phi = phi_of(m, X, P, Y, 1.5);
  auto th = deep_linear_cnn_theory(m, K0, phi, P, true);
  const double s1 = 1.44, sL = 1.44 * 0.81 * 1.21, sout = 0.64;
  double maxrel = 0, scale = 0;
  for (int a = 0; a < N; ++a)
    for (int b = 0; b < N; ++b)
      for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j) {
          double corr = 0;
          for (int mu = 0; mu < P; ++mu)
            for (int nu = 0; nu < P; ++nu) {
              double s = 0;
              for (int p = 0; p < D; ++p)
                s += K0[1].at(a, mu, i, p) * K0[1].at(b, nu, j, p) + K0[1].at(a, nu, i, p) * K0[1].at(b, mu, j, p);
              corr += phi(mu, nu) * sout * (sL / s1) * (1.0 / 6) * s / D;  // K0_1 = s_1 C
            }
          const double expect = K0[1].at(a, b, i, j) + 0.5 * corr;
          maxrel = std::max(maxrel, std::abs(th[0].at(a, b, i, j) - expect));
          scale = std::max(scale, std::abs(0.5 * corr));
        }
  EXPECT_LT(maxrel, 1e-9 * scale);
}

TEST(Theory, PropagatedAndShortcutAgreeOnlyAtLayerOne) {
  const int P = 3, N = 3, D = 6;
  ModelSpec m = fcn({5, 5}, Activation::linear, 1, 1);
  m.arch = Arch::cnn1d;
  m.spatial = {D};
  m.window = 3;
  Eigen::MatrixXd X = gaussian(N, D, 8), Y = gaussian(P, 1, 9);
  auto K0 = nngp_kernels(m, X);
  Eigen::MatrixXd phi = phi_of(m, X, P, Y, 2.0);
  auto a = deep_linear_cnn_theory(m, K0, phi, P, true), b = deep_linear_cnn_theory(m, K0, phi, P, false);
  EXPECT_LT((a[0] - b[0]).frobenius(), 1e-13);
  EXPECT_GT((a[1] - b[1]).frobenius(), 1e-3 * (a[1] - K0[2]).frobenius());
}

TEST(Theory, BetaToZeroGivesNoCorrection) {
  const int P = 4, N = 5;
  ModelSpec m = fcn({8, 8}, Activation::linear, 3, 1);
  Eigen::MatrixXd X = gaussian(N, 3, 10), Y = gaussian(P, 1, 11);
  auto K0 = nngp_kernels(m, X);
  EXPECT_EQ(compute_phi(m, K0[2], P, Y, 0.0).phi.norm(), 0.0);
  double prev = 1e300;
  for (double beta : {1.0, 1e-2, 1e-4, 1e-6}) {
    auto th = deep_linear_fcn_theory(m, K0, compute_phi(m, K0[2], P, Y, beta).phi, P);
    const double d = (th[1] - K0[2]).frobenius();
    EXPECT_LT(d, prev);
    prev = d;
  }
  EXPECT_LT(prev, 1e-5);
}

TEST(Theory, ScalingLaws) {
  const int P = 4, N = 6, n0 = 3;
  Eigen::MatrixXd X = gaussian(N, n0, 12), Y = gaussian(P, 2, 13);
  // sigma_1 -> c sigma_1 is the same as X -> c X.
  ModelSpec a = fcn({9, 11}, Activation::linear, n0, 2, {2.0, 1.0, 1.0});
  ModelSpec b = fcn({9, 11}, Activation::linear, n0, 2, {1.0, 1.0, 1.0});
  auto Ka = nngp_kernels(a, X), Kb = nngp_kernels(b, 2.0 * X);
  auto ta = deep_linear_fcn_theory(a, Ka, phi_of(a, X, P, Y, 1.0), P);
  auto tb = deep_linear_fcn_theory(b, Kb, phi_of(b, 2.0 * X, P, Y, 1.0), P);
  for (int l = 0; l < 2; ++l)
    for (std::size_t i = 0; i < ta[l].v.size(); ++i) EXPECT_NEAR(ta[l].v[i], tb[l].v[i], 1e-11);
  // Doubling every width halves the correction (leading order is linear in 1/n).
  ModelSpec w2 = fcn({18, 22}, Activation::linear, n0, 2, {2.0, 1.0, 1.0});
  auto tw = deep_linear_fcn_theory(w2, Ka, phi_of(a, X, P, Y, 1.0), P);
  for (std::size_t i = 0; i < ta[1].v.size(); ++i)
    EXPECT_NEAR(tw[1].v[i] - Ka[2].v[i], 0.5 * (ta[1].v[i] - Ka[2].v[i]), 1e-12);
}

TEST(Theory, SingleLayerMonteCarloWithLinearActivationIsSectionFour) {
  const int P = 4, N = 6, n0 = 5;
  ModelSpec m = fcn({20}, Activation::linear, n0, 1, {1.2, 0.9});
  Eigen::MatrixXd X = gaussian(N, n0, 14), Y = gaussian(P, 1, 15);
  auto K0 = nngp_kernels(m, X);
  Eigen::MatrixXd phi = phi_of(m, X, P, Y, 2.0);
  auto exact = deep_linear_fcn_theory(m, K0, phi, P);
  KernelTensor mean, se;
  single_layer_mc_theory(m, K0[1], X, phi, P, 200000, 1, mean, se);
  double zmax = 0;
  for (std::size_t i = 0; i < mean.v.size(); ++i) zmax = std::max(zmax, std::abs(mean.v[i] - exact[0].v[i]) / se.v[i]);
  EXPECT_LT(zmax, 4.0);
}

TEST(Theory, QuadraticFourPointClosedFormMatchesMonteCarlo) {
  const int P = 3, N = 4, n0 = 4;
  ModelSpec m = fcn({25}, Activation::quadratic, n0, 1, {0.8, 1.1});
  Eigen::MatrixXd X = gaussian(N, n0, 16), Y = gaussian(P, 1, 17);
  auto K0 = nngp_kernels(m, X);
  Eigen::MatrixXd phi = phi_of(m, X, P, Y, 1.0);
  KernelTensor closed = quadratic_single_layer_theory(m, K0[1], X, phi, P);
  KernelTensor mean, se;
  single_layer_mc_theory(m, K0[1], X, phi, P, 400000, 2, mean, se);
  double zmax = 0;
  for (std::size_t i = 0; i < mean.v.size(); ++i) zmax = std::max(zmax, std::abs(mean.v[i] - closed.v[i]) / se.v[i]);
  EXPECT_LT(zmax, 4.0);
  EXPECT_GT((closed - K0[1]).frobenius(), 10 * se.frobenius() / std::sqrt(double(se.v.size())));
}

TEST(PriorMoments, FirstLayerCovarianceMatchesDirectSampling) {
  // docs/theory.md 2: E[K_1] = K0_1 and Cov[K_1(a,b), K_1(c,d)] = sigma^4 (G_ac G_bd + G_ad G_bc) / n_1 (linear),
  // (E[phi_a phi_b phi_c phi_d] - K_ab K_cd) / n_1 in general; checked by z-tests over direct prior draws.
  const int N = 3, n0 = 4, n1 = 6, M = 40000;
  Eigen::MatrixXd X = gaussian(N, n0, 18);
  for (Activation act : {Activation::linear, Activation::relu}) {
    ModelSpec m = fcn({n1}, act, n0, 1, {1.3, 1.0});
    auto K0 = nngp_kernels(m, X);
    std::mt19937_64 rng(19);
    // Track K(0,1) and K(1,2) and the four-point moment of phi for the covariance reference.
    std::vector<double> k01(M), k12(M);
    double four = 0;
    std::normal_distribution<double> nd;
    for (int s = 0; s < M; ++s) {
      NetWeights w = sample_prior(m, rng);
      Forward f = reference_forward(m, w, X);
      auto K = feature_kernel(m, f.h[1], n1);
      k01[s] = K[0 * N + 1];
      k12[s] = K[1 * N + 2];
      for (int u = 0; u < n1; ++u) four += f.h[1](0, u) * f.h[1](1, u) * f.h[1](1, u) * f.h[1](2, u);
    }
    double m01 = 0, m12 = 0;
    for (int s = 0; s < M; ++s) {
      m01 += k01[s] / M;
      m12 += k12[s] / M;
    }
    double v01 = 0, c = 0, vc = 0;
    for (int s = 0; s < M; ++s) v01 += (k01[s] - m01) * (k01[s] - m01) / M;
    for (int s = 0; s < M; ++s) c += (k01[s] - m01) * (k12[s] - m12) / M;
    for (int s = 0; s < M; ++s) vc += std::pow((k01[s] - m01) * (k12[s] - m12) - c, 2) / M;
    EXPECT_LT(std::abs(m01 - K0[1].at(0, 1)) / std::sqrt(v01 / M), 4.0) << activation_name(act);
    double ref;
    if (act == Activation::linear) {
      const Eigen::MatrixXd G = 1.69 * X * X.transpose() / n0;
      ref = (G(0, 1) * G(1, 2) + G(0, 2) * G(1, 1)) / n1;
    } else {
      four /= double(M) * n1;  // Monte Carlo of E[phi_0 phi_1 phi_1 phi_2], independent draws
      ref = (four - K0[1].at(0, 1) * K0[1].at(1, 2)) / n1;
    }
    // The relu reference carries its own MC error; it is far smaller than the covariance estimate's (n1 x draws).
    EXPECT_LT(std::abs(c - ref) / std::sqrt(vc / M), 4.0) << activation_name(act) << " cov " << c << " ref " << ref;
  }
}
