#include "fwmc/prior_moments.hpp"

#include <algorithm>
#include <cmath>

#include "fwmc/errors.hpp"

namespace fwmc {

namespace {

// Per group of draws: sums of K, K q and q (q centred by a pilot value q0 for conditioning; covariances are
// unchanged), over every layer's NN entries.
struct GroupSums {
  GroupSums(int groups, int L, std::size_t NN)
      : L(L), NN(NN), sK(groups, std::vector<double>(L * NN, 0.0)), sKq(sK), sq(groups, 0.0), count(groups, 0.0) {}
  void add(int g, const std::vector<std::vector<double>>& K, int k, double q_raw) {
    if (!have_q0) {
      q0 = q_raw;
      have_q0 = true;
    }
    const double q = q_raw - q0;
    for (int l = 0; l < L; ++l) {
      const double* Kl = K[l].data() + k * NN;
      double* a = sK[g].data() + l * NN;
      double* aq = sKq[g].data() + l * NN;
      for (std::size_t i = 0; i < NN; ++i) {
        a[i] += Kl[i];
        aq[i] += Kl[i] * q;
      }
    }
    sq[g] += q;
    count[g] += 1;
  }
  int L;
  std::size_t NN;
  std::vector<std::vector<double>> sK, sKq;
  std::vector<double> sq, count;
  double q0 = 0;
  bool have_q0 = false;
};

// Layer l's theory <K> + (n_d/2) Cov(K, q) and prior mean <K>, with standard errors from the spread of the
// per-group estimates (groups are independent).
void estimate_layer(const GroupSums& s, int l, double M, double half_nd, int N, int D, PriorMomentResult& r) {
  const int groups = static_cast<int>(s.sq.size());
  const std::size_t NN = s.NN;
  // Raw (D N)^2 order here; reordered into KernelTensor order below.
  std::vector<double> th_mean(NN), th_se(NN), pm_mean(NN), pm_se(NN), th_groups(groups * NN);
  double Sq = 0;
  for (int g = 0; g < groups; ++g) Sq += s.sq[g];
  for (std::size_t i = 0; i < NN; ++i) {
    double SK = 0, SKq = 0;
    for (int g = 0; g < groups; ++g) {
      SK += s.sK[g][l * NN + i];
      SKq += s.sKq[g][l * NN + i];
    }
    const double mean = SK / M;
    th_mean[i] = mean + half_nd * (SKq / M - mean * Sq / M);
    pm_mean[i] = mean;
    double v_th = 0, v_pm = 0;
    for (int g = 0; g < groups; ++g) {
      const double n = s.count[g], mg = s.sK[g][l * NN + i] / n;
      const double eg = mg + half_nd * (s.sKq[g][l * NN + i] / n - mg * s.sq[g] / n);
      th_groups[g * NN + i] = eg * n;  // as a sum of n terms, the form group_means takes
      v_th += std::pow(eg - th_mean[i], 2);
      v_pm += std::pow(mg - mean, 2);
    }
    th_se[i] = std::sqrt(v_th / (groups - 1) / groups);
    pm_se[i] = std::sqrt(v_pm / (groups - 1) / groups);
  }
  KernelEstimate th{KernelTensor(N, D), KernelTensor(N, D), {}}, pm{KernelTensor(N, D), KernelTensor(N, D), {}};
  th.mean.v = kernel_order(th_mean, 1, N, D);
  th.mcse.v = kernel_order(th_se, 1, N, D);
  pm.mean.v = kernel_order(pm_mean, 1, N, D);
  pm.mcse.v = kernel_order(pm_se, 1, N, D);
  const std::vector<double> ordered = kernel_order(th_groups, groups, N, D);
  th.groups = group_means(ordered, groups, N, D, s.count);  // each group's own theory estimate, for norm SEs
  r.theory.push_back(th);
  r.prior_mean.push_back(pm);
}

}  // namespace

PriorMomentResult prior_moment_theory(const PriorSourceFactory& make_prior, const ModelSpec& m, const Dataset& d,
                                      const Eigen::MatrixXd& phi, long draws, std::uint64_t seed, int groups) {
  if (!make_prior) throw RuntimeError("the prior-moment theory needs a source of prior draws");
  const int L = m.depth();
  const double s_out = m.sigma[L] * m.sigma[L];
  // Draws split as evenly as possible over the groups (every group gets at least one): a ceil-sized split left the
  // last groups empty whenever draws was not a multiple of groups near it (0/0 means, NaN standard errors).
  groups = static_cast<int>(std::max<long>(2, std::min<long>(groups, draws)));
  const long base = draws / groups, extra = draws % groups;
  const long per_group = base + (extra > 0);
  const std::unique_ptr<PriorKernelSource> source = make_prior(static_cast<int>(std::min<long>(per_group, 256)));
  PriorKernelSource& prior = *source;
  const std::size_t NN = static_cast<std::size_t>(prior.rows()) * prior.rows();
  const int B = prior.batch();
  GroupSums sums(groups, L, NN);
  long done = 0, batch = 0;
  for (int g = 0; g < groups; ++g) {
    long left = base + (g < extra);
    while (left > 0) {
      const int b = static_cast<int>(std::min<long>(B, left));
      const auto& K = prior.draw(batch, seed);
      for (int k = 0; k < b; ++k) sums.add(g, K, k, s_out * (phi.array() * prior.readout_gram(k).array()).sum());
      left -= b;
      done += b;
      ++batch;
    }
  }
  PriorMomentResult r;
  r.draws = done;
  for (int l = 0; l < L; ++l)
    estimate_layer(sums, l, static_cast<double>(done), 0.5 * m.n_out, d.N(), m.positions(), r);
  return r;
}

}  // namespace fwmc
