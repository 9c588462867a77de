// The samplers' exact test target: Bayesian linear regression (the readout-only model), a Gaussian posterior known
// in closed form, and a runner that returns per-chain moments with honest standard errors.
#pragma once
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "fwmc/backend.hpp"
#include "fwmc/sampler.hpp"

namespace fwmc::test {

// U(w) = beta/2 ||X w / sqrt(d) - y||^2 + ||w||^2 / (2 sigma^2), one weight vector per chain.
class LinearRegression final : public Potential<double> {
 public:
  LinearRegression(Backend<double>& be, const Eigen::MatrixXd& X, const Eigen::VectorXd& y, double beta, double sigma,
                   int chains)
      : be_(be), P_(static_cast<int>(X.rows())), d_(static_cast<int>(X.cols())), C_(chains), beta_(beta) {
    blocks_.push_back(ParamBlock{0, ChainBlock{d_, C_, 0, 0}, sigma});
    X_ = Buffer<double, double>(be, static_cast<std::size_t>(P_) * d_);
    X_.upload(std::vector<double>(X.data(), X.data() + X.size()));
    y_ = Buffer<double, double>(be, P_);
    y_.upload(std::vector<double>(y.data(), y.data() + P_));
    f_ = Buffer<double, double>(be, static_cast<std::size_t>(P_) * C_);
    dF_ = Buffer<double, double>(be, f_.size());
    loss_ = Buffer<double, double>(be, C_);
    energy_ = Buffer<double, double>(be, C_);
  }
  Backend<double>& backend() override { return be_; }
  int chains() const override { return C_; }
  const std::vector<ParamBlock>& blocks() const override { return blocks_; }
  void evaluate(const double* w, double* grad, std::vector<double>& U) override {
    const double s = 1 / std::sqrt(double(d_));
    be_.gemm(s, matrix(X_.data(), P_, d_, P_), matrix(w, d_, C_, d_), 0.0, matrix(f_.data(), P_, C_, P_));
    be_.residual(P_, P_, 1, C_, f_.data(), y_.data(), beta_, dF_.data(), loss_.data());
    be_.gemm(s, matrix(X_.data(), P_, d_, P_).t(), matrix(dF_.data(), P_, C_, P_), 0.0, matrix(grad, d_, C_, d_));
    be_.fill_zero(energy_.data(), sizeof(double) * C_);
    be_.add_prior(blocks_[0].layout, w, 1 / (blocks_[0].prior_std * blocks_[0].prior_std), grad, energy_.data());
    auto l = loss_.download(), e = energy_.download();
    U.resize(C_);
    for (int c = 0; c < C_; ++c) U[c] = 0.5 * beta_ * l[c] + e[c];
  }

 private:
  Backend<double>& be_;
  int P_, d_, C_;
  double beta_;
  std::vector<ParamBlock> blocks_;
  Buffer<double, double> X_, y_, f_, dF_, loss_, energy_;
};

struct Gaussian {
  Eigen::VectorXd mean;
  Eigen::MatrixXd cov, precision;
};

struct Problem {
  Eigen::MatrixXd X;
  Eigen::VectorXd y;
  double beta = 1.5, sigma = 1.2;
  Gaussian posterior() const {
    const int d = static_cast<int>(X.cols());
    Gaussian g;
    g.precision = beta * X.transpose() * X / d + Eigen::MatrixXd::Identity(d, d) / (sigma * sigma);
    g.cov = g.precision.inverse();
    g.mean = g.cov * (beta * X.transpose() * y / std::sqrt(double(d)));
    return g;
  }
};

inline Problem make_problem() {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> g;
  Problem p;
  p.X.resize(6, 3);
  p.y.resize(6);
  for (int j = 0; j < 3; ++j)
    for (int i = 0; i < 6; ++i) p.X(i, j) = g(rng);
  for (int i = 0; i < 6; ++i) p.y(i) = g(rng);
  return p;
}

// Runs `iters` steps after `warmup` and returns per-chain means of w and of w w^T (chains are independent, so
// their spread gives honest standard errors).
struct ChainMoments {
  std::vector<Eigen::VectorXd> m1;
  std::vector<Eigen::MatrixXd> m2;
  std::vector<int> leapfrog;  // HMC: each chain's leapfrog steps after warm-up
};

inline ChainMoments sample(const std::string& method, double h, bool adapt, int warmup, int iters, int C = 64,
                           int leapfrog = 5, double trajectory_length = 0) {
  auto be = make_cpu_backend<double>();
  Problem p = make_problem();
  LinearRegression pot(*be, p.X, p.y, p.beta, p.sigma, C);
  SamplerSettings s;
  s.method = method;
  s.step_size = h;
  s.adapt = adapt;
  s.leapfrog_steps = leapfrog;
  s.trajectory_length = trajectory_length;
  s.jitter = trajectory_length > 0 ? 0.3 : 0.0;
  s.seed = 7;
  Sampler<double> smp(pot, s);
  smp.init_from_prior();
  ChainMoments cm;
  cm.m1.assign(C, Eigen::VectorXd::Zero(3));
  cm.m2.assign(C, Eigen::MatrixXd::Zero(3, 3));
  for (int it = 0; it < warmup + iters; ++it) {
    smp.step(it);
    if (it < warmup) {
      smp.adapt_step_sizes();
      if (it == warmup - 1) smp.freeze_step_sizes();
      continue;
    }
    const std::vector<double> w = smp.state().theta.download();
    for (int c = 0; c < C; ++c) {
      Eigen::Map<const Eigen::VectorXd> v(w.data() + 3 * c, 3);
      cm.m1[c] += v / iters;
      cm.m2[c] += v * v.transpose() / iters;
    }
  }
  for (double hc : smp.step_sizes()) cm.leapfrog.push_back(hmc_leapfrog_steps(s, hc));
  return cm;
}

// max |z| of the pooled mean and covariance against (mean, cov).
inline double max_z(const ChainMoments& cm, const Eigen::VectorXd& mean, const Eigen::MatrixXd& cov) {
  const int C = static_cast<int>(cm.m1.size());
  double worst = 0;
  auto z_of = [&](auto get, double ref) {
    double m = 0, v = 0;
    for (int c = 0; c < C; ++c) m += get(c) / C;
    for (int c = 0; c < C; ++c) v += std::pow(get(c) - m, 2) / (C - 1);
    return std::abs(m - ref) / std::sqrt(v / C);
  };
  for (int i = 0; i < 3; ++i) {
    worst = std::max(worst, z_of([&](int c) { return cm.m1[c](i); }, mean(i)));
    for (int j = i; j < 3; ++j)  // second moments: E[w_i w_j] = cov_ij + mean_i mean_j
      worst = std::max(worst, z_of([&](int c) { return cm.m2[c](i, j); }, cov(i, j) + mean(i) * mean(j)));
  }
  return worst;
}

}  // namespace fwmc::test
