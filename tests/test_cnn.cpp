// Convolutional networks in the sampler: gradients, the forward pass against the plain reference, the fcn
// special case, the exact prior at beta = 0, and agreement with the exact oracle (cnn1d and cnn2d).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "fd_check.hpp"
#include "fwmc/backend.hpp"
#include "fwmc/cnn_model.hpp"
#include "fwmc/device_select.hpp"
#include "fwmc/diagnostics.hpp"
#include "fwmc/fcn_model.hpp"
#include "fwmc/oracle.hpp"
#include "fwmc/prior_draws.hpp"
#include "fwmc/reference_net.hpp"
#include "fwmc/run_plan.hpp"
#include "fwmc/run_sampling.hpp"
#include "fwmc/theory.hpp"

using namespace fwmc;

namespace {

ModelSpec cnn_spec(std::vector<int> spatial, int c0, std::vector<int> widths, Activation a, int window = 3) {
  ModelSpec m;
  m.arch = spatial.size() == 1 ? Arch::cnn1d : Arch::cnn2d;
  m.spatial = spatial;
  m.in_channels = c0;
  m.widths = widths;
  m.activation = a;
  m.window = window;
  m.n_out = 2;
  m.sigma.assign(widths.size() + 1, 1.0);
  m.sigma[0] = 1.2;
  m.sigma.back() = 0.8;
  return m;
}

Dataset cnn_data(const ModelSpec& m, int P, int Pt, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  Dataset d;
  d.P = P;
  d.P_test = Pt;
  d.X.resize(P + Pt, m.positions() * m.in_channels);
  d.Y.resize(P, m.n_out);
  for (long j = 0; j < d.X.cols(); ++j)
    for (long i = 0; i < d.X.rows(); ++i) d.X(i, j) = g(rng);
  for (long j = 0; j < d.Y.cols(); ++j)
    for (long i = 0; i < P; ++i) d.Y(i, j) = g(rng);
  return d;
}

// theta for the batched model from reference weights (layer l: Wt = W^T; readout rows alpha*D + i).
std::vector<double> pack(const ModelSpec& m, const std::vector<NetWeights>& nets, const FeatureModel<double>& model) {
  std::vector<double> theta(model.state_size());
  const int L = m.depth(), D = m.positions(), cL = m.widths.back();
  for (std::size_t c = 0; c < nets.size(); ++c)
    for (int l = 1; l <= L + 1; ++l) {
      const auto& b = model.blocks()[l - 1];
      double* dst = theta.data() + b.offset + c * b.layout.per_chain;
      const Eigen::MatrixXd& W = nets[c].W[l - 1];
      if (l <= L) {
        const Eigen::MatrixXd Wt = W.transpose();
        std::copy(Wt.data(), Wt.data() + Wt.size(), dst);
      } else {
        for (int o = 0; o < m.n_out; ++o)
          for (int i = 0; i < D; ++i)
            for (int al = 0; al < cL; ++al) dst[(al * D + i) + static_cast<long>(D) * cL * o] = W(o, i * cL + al);
      }
    }
  return theta;
}

}  // namespace

TEST(Cnn, ForwardMatchesTheReferenceNetwork) {
  auto be = make_cpu_backend<double>();
  for (auto m : {cnn_spec({5}, 2, {3, 4}, Activation::tanh), cnn_spec({3, 4}, 2, {3, 2}, Activation::relu)}) {
    Dataset d = cnn_data(m, 3, 2, 1);
    CnnModel<double> model(*be, m, d, 1.0, 2, 0);
    std::mt19937_64 rng(2);
    std::vector<NetWeights> nets = {sample_prior(m, rng), sample_prior(m, rng)};
    Buffer<double, double> th(*be, model.state_size());
    th.upload(pack(m, nets, model));
    model.forward(th.data());
    std::vector<double> f(2 * d.N() * 2), H(2 * d.N() * m.positions() * m.widths[0]);
    be->to_host(f.data(), model.output(), f.size() * sizeof(double));
    be->to_host(H.data(), model.hidden(1), H.size() * sizeof(double));
    for (int c = 0; c < 2; ++c) {
      Forward ref = reference_forward(m, nets[c], d.X);
      for (int o = 0; o < 2; ++o)
        for (int a = 0; a < d.N(); ++a) EXPECT_NEAR(f[c * d.N() * 2 + a + o * d.N()], ref.f(a, o), 1e-12);
      const int N = d.N(), D = m.positions(), c1 = m.widths[0];
      for (int a = 0; a < N; ++a)
        for (int i = 0; i < D; ++i)
          for (int al = 0; al < c1; ++al)
            EXPECT_NEAR(H[c * N * D * c1 + i * N + a + N * D * al], ref.h[1](a, i * c1 + al), 1e-12);
    }
  }
}

TEST(Cnn, GradientsMatchFiniteDifferences) {
  auto be = make_cpu_backend<double>();
  for (auto m : {cnn_spec({5}, 2, {3}, Activation::erf), cnn_spec({5}, 2, {3, 2}, Activation::tanh),
                 cnn_spec({3, 3}, 1, {2, 2}, Activation::linear), cnn_spec({4}, 1, {2, 3}, Activation::relu)}) {
    Dataset d = cnn_data(m, 3, 1, 3);
    CnnModel<double> model(*be, m, d, 1.5, 2, 0);
    std::mt19937_64 rng(4);
    std::normal_distribution<double> g;
    std::vector<double> theta(model.state_size());
    for (double& t : theta) t = 0.7 * g(rng);
    const double worst = test::fd_gradient_error(model, theta);
    EXPECT_LT(worst, 1e-6) << activation_name(m.activation) << " D=" << m.positions() << " L=" << m.depth();
  }
}

TEST(Cnn, OnePositionAndWindowOneIsTheFcn) {
  auto be = make_cpu_backend<double>();
  ModelSpec c = cnn_spec({1}, 4, {5, 3}, Activation::tanh, 1);
  ModelSpec f = c;
  f.arch = Arch::fcn;
  f.spatial.clear();
  Dataset d = cnn_data(c, 4, 2, 5);
  CnnModel<double> cm(*be, c, d, 1.3, 3, 0);
  FcnModel<double> fm(*be, f, d, 1.3, 3, 0);
  ASSERT_EQ(cm.state_size(), fm.state_size());
  std::mt19937_64 rng(6);
  std::normal_distribution<double> g;
  std::vector<double> theta(cm.state_size());
  for (double& t : theta) t = g(rng);
  Buffer<double, double> th(*be, theta.size()), g1(*be, theta.size()), g2(*be, theta.size());
  th.upload(theta);
  std::vector<double> U1, U2;
  cm.evaluate(th.data(), g1.data(), U1);
  fm.evaluate(th.data(), g2.data(), U2);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(U1[k], U2[k], 1e-12 * std::abs(U2[k]));
  const auto a = g1.download(), b = g2.download();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-12 * (1 + std::abs(b[i])));
}

namespace {

Config cnn_config(const std::vector<std::string>& ov) {
  return parse_config(
      "[data]\nn_train=3\nn_test=1\nseed=4\nnoise=0.5\ninput_shape=[5,1]\n"
      "[model]\narch='cnn1d'\nwidths=[4,4]\nwindow=3\n[posterior]\nbeta=2.0\n"
      "[sampler]\nmethod='hmc'\nchains=64\nwarmup=1000\nsamples=2000\nstep_size=0.1\n"
      "leapfrog_steps=5\nprecision='double'\n",
      "cnn.toml", ov);
}

// A cnn kernel has thousands of (correlated) entries: bound the largest |z| at a family-wise false-alarm rate of
// 1e-3 (Bonferroni over the entries) instead of 4, which chance alone exceeds for ~4,000 entries.
double bonferroni_z(std::size_t entries) { return inverse_normal_cdf(1 - 0.5e-3 / entries); }

double max_z_vs_oracle(const Config& c, long draws, double* signal, std::size_t* entries) {
  const Dataset d = load_dataset(c);
  const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
  const TheoryResult th = compute_theory(m, d, theory_options(c), backend_prior_source(choose_device(c), m, d));
  const RunResult r = run_sampling(plan_run(c, d, 1), d, th.phi.phi);
  const OracleResult o = run_oracle(c, m, d, draws);
  double worst = 0;
  *signal = 0;
  *entries = 0;
  for (int l = 0; l < m.depth(); ++l) *entries += o.kernels[l].mean.v.size();
  // The reported (Stein) estimate and the plain one of the same draws, each against the oracle.
  for (const auto* est : {&r.kernels, &r.plain_kernels})
    for (int l = 0; l < m.depth(); ++l)
      for (std::size_t i = 0; i < o.kernels[l].mean.v.size(); ++i) {
        const double se = std::hypot((*est)[l].mcse.v[i], o.kernels[l].mcse.v[i]);
        worst = std::max(worst, std::abs((*est)[l].mean.v[i] - o.kernels[l].mean.v[i]) / se);
        *signal = std::max(*signal, std::abs(o.kernels[l].mean.v[i] - th.layers[l].nngp.v[i]) / se);
      }
  for (const auto& s : r.stein) EXPECT_LT(s.agree_max_z, bonferroni_z(*entries)) << "plain vs stein, same draws";
  return worst;
}

}  // namespace

TEST(Cnn, HmcAgreesWithTheOracleOnATinyCnn1d) {
  double signal;
  std::size_t n;
  const double z = max_z_vs_oracle(cnn_config({}), 200000, &signal, &n);
  EXPECT_LT(z, bonferroni_z(n)) << n << " entries";
  EXPECT_GT(signal, 6.0);
}

TEST(Cnn, HmcAgreesWithTheOracleOnACnn2dOn4x4Inputs) {
  double signal;
  std::size_t n;
  Config c = cnn_config({"model.arch=cnn2d", "data.input_shape=[4,4,1]", "model.widths=[3]", "model.activation=relu"});
  const double z = max_z_vs_oracle(c, 200000, &signal, &n);
  EXPECT_LT(z, bonferroni_z(n)) << n << " entries";
  EXPECT_GT(signal, 6.0);
}

TEST(Cnn, BetaZeroReproducesTheFirstLayerPriorMean) {
  Config c = cnn_config({"posterior.beta=0", "model.widths=[3]", "sampler.warmup=200", "sampler.samples=1000"});
  const Dataset d = load_dataset(c);
  const ModelSpec m = make_model_spec(c.model, d.input_shape, d.n_out());
  const RunResult r = run_sampling(plan_run(c, d, 1), d, Eigen::MatrixXd::Zero(d.P, d.P));
  const auto K0 = nngp_kernels(m, d.X);
  // The plain average fluctuates around K0_1; the Stein estimate of a linear cnn is K0_1 itself at beta = 0 (zero
  // variance, so only rounding separates them).
  double worst = 0;
  for (std::size_t i = 0; i < K0[1].v.size(); ++i) {
    worst = std::max(worst, std::abs(r.plain_kernels[0].mean.v[i] - K0[1].v[i]) / r.plain_kernels[0].mcse.v[i]);
    EXPECT_NEAR(r.kernels[0].mean.v[i], K0[1].v[i], 1e-12 * (1 + std::abs(K0[1].v[i])));
    EXPECT_LT(r.kernels[0].mcse.v[i], 1e-12);
  }
  EXPECT_LT(worst, bonferroni_z(K0[1].v.size())) << K0[1].v.size() << " entries";
}
