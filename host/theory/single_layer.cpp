// One nonlinear hidden layer (docs/theory.md 6): <K_1> = K0_1 + (n_d sigma_2^2 / (2 n_1)) Cov_w[phi_a phi_b, Q(w)].
#include <algorithm>
#include <cmath>
#include <random>

#include "fwmc/interrupt.hpp"
#include "fwmc/reference_net.hpp"
#include "fwmc/theory.hpp"

namespace fwmc {

namespace {

// All perfect matchings of {0..n-1} (n even), as lists of pairs.
void matchings(std::vector<int> rest, std::vector<std::pair<int, int>>& cur,
               std::vector<std::vector<std::pair<int, int>>>& out) {
  if (rest.empty()) {
    out.push_back(cur);
    return;
  }
  const int first = rest[0];
  for (std::size_t k = 1; k < rest.size(); ++k) {
    std::vector<int> r2;
    for (std::size_t t = 1; t < rest.size(); ++t)
      if (t != k) r2.push_back(rest[t]);
    cur.emplace_back(first, rest[k]);
    matchings(r2, cur, out);
    cur.pop_back();
  }
}

std::vector<std::vector<std::pair<int, int>>> all_matchings(int n) {
  std::vector<int> idx(n);
  for (int i = 0; i < n; ++i) idx[i] = i;
  std::vector<std::pair<int, int>> cur;
  std::vector<std::vector<std::pair<int, int>>> out;
  matchings(idx, cur, out);
  return out;
}

// Thread-safe (magic statics): called from inside OpenMP loops.
const std::vector<std::vector<std::pair<int, int>>>& matchings_of(int n) {
  static const auto m4 = all_matchings(4), m8 = all_matchings(8);
  return n == 4 ? m4 : m8;
}

// Isserlis: E[prod_k u_{ix[k]}] for a zero-mean Gaussian with covariance C.
double isserlis(const Eigen::MatrixXd& C, const int* ix, int n) {
  double s = 0;
  for (const auto& mt : matchings_of(n)) {
    double p = 1;
    for (const auto& pr : mt) p *= C(ix[pr.first], ix[pr.second]);
    s += p;
  }
  return s;
}

}  // namespace

KernelTensor quadratic_single_layer_theory(const ModelSpec& m, const KernelTensor& K0_1, const Eigen::MatrixXd& X,
                                           const Eigen::MatrixXd& phi, int P) {
  const int N = K0_1.N;
  const double s1 = m.sigma[0] * m.sigma[0];
  const Eigen::MatrixXd C = s1 * X * X.transpose() / double(X.cols());
  const double coef = m.n_out * m.sigma[1] * m.sigma[1] / (2.0 * m.widths[0]);
  KernelTensor K = K0_1;
#pragma omp parallel for collapse(2) schedule(dynamic)
  for (int a = 0; a < N; ++a)
    for (int b = 0; b < N; ++b) {
      const int i4[4] = {a, a, b, b};
      const double eab = isserlis(C, i4, 4);
      double cov = 0;
      for (int mu = 0; mu < P; ++mu)
        for (int nu = 0; nu < P; ++nu) {
          if (phi(mu, nu) == 0) continue;
          const int i8[8] = {a, a, b, b, mu, mu, nu, nu};
          const int j4[4] = {mu, mu, nu, nu};
          cov += phi(mu, nu) * (isserlis(C, i8, 8) - eab * isserlis(C, j4, 4));
        }
      K.at(a, b) += coef * cov;
    }
  return K;
}

void single_layer_mc_theory(const ModelSpec& m, const KernelTensor& K0_1, const Eigen::MatrixXd& X,
                            const Eigen::MatrixXd& phi, int P, long draws, std::uint64_t seed, KernelTensor& mean,
                            KernelTensor& se, GroupMeans* groups) {
  const int N = static_cast<int>(X.rows()), n0 = static_cast<int>(X.cols());
  const long B = 2048;
  // Moments of X_ab = phi_a phi_b and Y = Q - y0 (y0: a pilot mean, to keep the sums well conditioned).
  Eigen::MatrixXd sX = Eigen::MatrixXd::Zero(N, N), sX2 = sX, sXY = sX, sX2Y = sX, sX2Y2 = sX, sXY2 = sX;
  double sY = 0, sY2 = 0, y0 = 0;
  // Draw d belongs to batch d G / draws (consecutive, as even as possible); each batch keeps its own sums of X and
  // X Y and Y, so that its own estimate can be formed (the random stream does not depend on G).
  const int G = static_cast<int>(std::min<long>(kTheoryGroups, draws));
  std::vector<Eigen::MatrixXd> gX(G, Eigen::MatrixXd::Zero(N, N)), gXY(gX);
  std::vector<double> gY(G, 0.0), gM(G, 0.0);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd;
  const Eigen::MatrixXd Xs = X * (m.sigma[0] / std::sqrt(double(n0)));
  long done = 0;
  bool first = true;
  while (done < draws) {
    throw_if_interrupted();  // a large theory.draws runs for minutes
    const long b = std::min(B, draws - done);
    Eigen::MatrixXd W(n0, b);
    for (long j = 0; j < b; ++j)
      for (int i = 0; i < n0; ++i) W(i, j) = nd(rng);
    Eigen::MatrixXd F = (Xs * W).unaryExpr([&](double z) { return apply_activation(m.activation, z); });
    const Eigen::MatrixXd FT = F.topRows(P);
    Eigen::VectorXd Q = ((phi * FT).array() * FT.array()).colwise().sum().transpose();
    if (first) {
      y0 = Q.mean();
      first = false;
    }
    Q.array() -= y0;
    const Eigen::MatrixXd F2 = F.array().square().matrix();
    const Eigen::VectorXd Q2 = Q.array().square().matrix();
    for (long j = 0; j < b;) {  // the column blocks of this chunk that fall in each batch
      const int g = static_cast<int>((done + j) * G / draws);
      long end = j;
      while (end < b && (done + end) * G / draws == g) ++end;
      const auto Fb = F.middleCols(j, end - j);
      gX[g].noalias() += Fb * Fb.transpose();
      gXY[g].noalias() += Fb * Q.segment(j, end - j).asDiagonal() * Fb.transpose();
      gY[g] += Q.segment(j, end - j).sum();
      gM[g] += static_cast<double>(end - j);
      j = end;
    }
    sX2.noalias() += F2 * F2.transpose();
    sXY2.noalias() += F * Q2.asDiagonal() * F.transpose();
    sX2Y.noalias() += F2 * Q.asDiagonal() * F2.transpose();
    sX2Y2.noalias() += F2 * Q2.asDiagonal() * F2.transpose();
    sY += Q.sum();
    sY2 += Q2.sum();
    done += b;
  }
  // The totals are the batches' sums (each draw's F F^T and F Q F^T is multiplied once).
  for (int g = 0; g < G; ++g) {
    sX += gX[g];
    sXY += gXY[g];
  }
  const double M = double(draws);
  const double coef = m.n_out * m.sigma[1] * m.sigma[1] / (2.0 * m.widths[0]);
  const double mY = sY / M, eY2 = sY2 / M;
  mean = K0_1;
  se = KernelTensor(N, 1);
  for (int a = 0; a < N; ++a)
    for (int b = 0; b < N; ++b) {
      const double mX = sX(a, b) / M, eXY = sXY(a, b) / M;
      const double cov = eXY - mX * mY;
      const double eX2Yc2 = sX2Y2(a, b) / M - 2 * mY * sX2Y(a, b) / M + mY * mY * sX2(a, b) / M;
      const double eXYc2 = sXY2(a, b) / M - 2 * mY * eXY + mY * mY * mX;
      const double eYc2 = eY2 - mY * mY;
      const double var = std::max(0.0, eX2Yc2 - 2 * mX * eXYc2 + mX * mX * eYc2 - cov * cov);
      mean.at(a, b) += coef * cov;
      se.at(a, b) = std::abs(coef) * std::sqrt(var / M);
    }
  if (!groups) return;
  *groups = GroupMeans{};
  for (int g = 0; g < G; ++g) {
    const Eigen::MatrixXd cov = gXY[g] / gM[g] - (gX[g] / gM[g]) * (gY[g] / gM[g]);
    KernelTensor e = K0_1;
    for (int a = 0; a < N; ++a)
      for (int b = 0; b < N; ++b) e.at(a, b) += coef * cov(a, b);
    groups->means.push_back(std::move(e));
    groups->weights.push_back(gM[g] / M);
  }
}

}  // namespace fwmc
