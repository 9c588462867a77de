#include "fwmc/oracle.hpp"

#include <chrono>
#include <cmath>
#include <limits>

#include "fwmc/backend.hpp"
#include "fwmc/device_select.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/prior_draws.hpp"

namespace fwmc {

namespace {

// Running weighted sums with a moving maximum of log w, so that exp never overflows.
struct WeightedSums {
  double max_lw = -std::numeric_limits<double>::infinity();
  double sw = 0, sw2 = 0, wmax = 0;
  std::vector<std::vector<double>> swk, sw2k, sw2k2;  // per layer, per entry

  void rescale(double new_max) {
    if (new_max <= max_lw) return;
    const double f = std::isfinite(max_lw) ? std::exp(max_lw - new_max) : 0.0, f2 = f * f;
    sw *= f;
    sw2 *= f2;
    wmax *= f;
    for (auto& v : swk)
      for (double& x : v) x *= f;
    for (auto& v : sw2k)
      for (double& x : v) x *= f2;
    for (auto& v : sw2k2)
      for (double& x : v) x *= f2;
    max_lw = new_max;
  }
};

}  // namespace

OracleResult run_oracle(const Config& c, const ModelSpec& m, const Dataset& d, long draws) {
  const auto t0 = std::chrono::steady_clock::now();
  auto be = make_backend<double>(choose_device(c));  // the reference runs in double
  const int L = m.depth(), N = d.N(), nd = d.n_out();
  const double beta = c.posterior.beta, s_out = m.sigma[L] * m.sigma[L];
  PriorKernelDraws prior(*be, m, d, static_cast<int>(std::min<long>(draws, 512)));
  const int B = prior.batch();
  const Eigen::MatrixXd YYt = d.Y * d.Y.transpose();
  WeightedSums ws;
  const int D = m.positions();
  const std::size_t NN = static_cast<std::size_t>(prior.rows()) * prior.rows();
  ws.swk.assign(L, std::vector<double>(NN, 0.0));
  ws.sw2k = ws.sw2k2 = ws.swk;
  long done = 0;
  for (long batch = 0; done < draws; ++batch) {
    const int b = static_cast<int>(std::min<long>(B, draws - done));
    const auto& K = prior.draw(batch, c.sampler.seed);
    for (int k = 0; k < b; ++k) {
      Eigen::MatrixXd gamma = s_out * prior.readout_gram(k);
      if (beta > 0) gamma.diagonal().array() += 1.0 / beta;
      double lw = 0;
      if (beta > 0) {
        Eigen::LLT<Eigen::MatrixXd> llt(gamma);
        if (llt.info() != Eigen::Success) throw RuntimeError("oracle: Gamma_K not positive definite");
        const double logdet = 2 * llt.matrixL().toDenseMatrix().diagonal().array().log().sum();
        lw = -0.5 * nd * logdet - 0.5 * llt.solve(YYt).trace();
      }
      ws.rescale(lw);
      const double w = std::exp(lw - ws.max_lw), w2 = w * w;
      ws.sw += w;
      ws.sw2 += w2;
      ws.wmax = std::max(ws.wmax, w);
      for (int l = 0; l < L; ++l) {
        const double* kk = K[l].data() + k * NN;
        for (std::size_t i = 0; i < NN; ++i) {
          ws.swk[l][i] += w * kk[i];
          ws.sw2k[l][i] += w2 * kk[i];
          ws.sw2k2[l][i] += w2 * kk[i] * kk[i];
        }
      }
    }
    done += b;
  }
  OracleResult r;
  r.draws = draws;
  r.ess = ws.sw * ws.sw / ws.sw2;
  r.max_weight_share = ws.wmax / ws.sw;
  for (int l = 0; l < L; ++l) {
    std::vector<double> mean(NN), se(NN);
    for (std::size_t i = 0; i < NN; ++i) {
      mean[i] = ws.swk[l][i] / ws.sw;
      const double v = (ws.sw2k2[l][i] - 2 * mean[i] * ws.sw2k[l][i] + mean[i] * mean[i] * ws.sw2) / (ws.sw * ws.sw);
      se[i] = std::sqrt(std::max(v, 0.0));
    }
    KernelEstimate e{KernelTensor(N, D), KernelTensor(N, D), {}};
    e.mean.v = kernel_order(mean, 1, N, D);
    e.mcse.v = kernel_order(se, 1, N, D);
    r.kernels.push_back(e);
  }
  // Degenerate: few effective draws in absolute terms, or a tiny fraction of the draws.
  if (r.ess < std::min(100.0, 0.5 * draws) || r.ess < 1e-3 * draws)
    r.warnings.push_back("importance weights degenerate: ESS = " + std::to_string(r.ess) + " of " +
                         std::to_string(draws) +
                         " draws; the estimate and its error are unreliable "
                         "(use fewer training points, smaller beta or more draws)");
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace fwmc
