// Gamma, Phi (docs/theory.md 3) and the deep linear closed forms for fcn (section 4) and cnn (section 5).
#include <cmath>

#include <Eigen/Eigenvalues>

#include "fwmc/errors.hpp"
#include "fwmc/interrupt.hpp"
#include "fwmc/theory.hpp"

namespace fwmc {

namespace {

// s_l = prod_{k<=l} sigma_k^2
double prior_scale(const ModelSpec& m, int l) {
  double s = 1;
  for (int k = 1; k <= l; ++k) s *= m.sigma[k - 1] * m.sigma[k - 1];
  return s;
}

}  // namespace

PhiResult compute_phi(const ModelSpec& m, const KernelTensor& K_L, int P, const Eigen::MatrixXd& Y, double beta) {
  const double s_out = m.sigma.back() * m.sigma.back();
  Eigen::MatrixXd Kout = s_out * K_L.spatial_trace().topLeftCorner(P, P);
  PhiResult r;
  if (beta == 0) {  // posterior = prior
    r.gamma = Kout;
    r.phi = Eigen::MatrixXd::Zero(P, P);
    return r;
  }
  r.gamma = Kout + Eigen::MatrixXd::Identity(P, P) / beta;
  const Eigen::MatrixXd Gyy = Y * Y.transpose() / double(Y.cols());
  Eigen::LLT<Eigen::MatrixXd> llt(r.gamma);
  if (llt.info() != Eigen::Success || !r.gamma.allFinite())
    throw InputError(
        "theory: Gamma = K_out + I/beta is singular in double precision (beta = " + std::to_string(beta) +
        "): the training inputs are duplicated, collinear or constant; lower [posterior] beta or remove them");
  const Eigen::MatrixXd Ginv = llt.solve(Eigen::MatrixXd::Identity(P, P));
  r.phi = Ginv * (Gyy - r.gamma) * Ginv;
  r.phi = 0.5 * (r.phi + r.phi.transpose());
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(r.gamma, Eigen::EigenvaluesOnly);
  r.gamma_cond = es.eigenvalues().maxCoeff() / es.eigenvalues().minCoeff();
  return r;
}

std::vector<KernelTensor> deep_linear_fcn_theory(const ModelSpec& m, const std::vector<KernelTensor>& K0,
                                                 const Eigen::MatrixXd& phi, int P) {
  const int N = K0[0].N, L = m.depth(), nd = m.n_out;
  Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> G(K0[0].v.data(), N, N);
  const Eigen::MatrixXd GPG = G.leftCols(P) * phi * G.topRows(P);
  const double s_out = m.sigma[L] * m.sigma[L], sL = prior_scale(m, L);
  std::vector<KernelTensor> out;
  double inv_width_sum = 0;
  for (int l = 1; l <= L; ++l) {
    inv_width_sum += 1.0 / m.widths[l - 1];
    const double sl = prior_scale(m, l);
    const double coef = nd * s_out * sL * sl * inv_width_sum;
    KernelTensor K(N, 1);
    for (int a = 0; a < N; ++a)
      for (int b = 0; b < N; ++b) K.at(a, b) = sl * G(a, b) + coef * GPG(a, b);
    out.push_back(K);
  }
  return out;
}

namespace {

// M(a,b)_pq = (1/D) sum_{mu,nu in T} Phi_{mu nu} sum_r K(a,mu)_pr K(nu,b)_rq, as two GEMMs: V = K(., T) Phi over
// mu, then M = V K(T, .) over (r, nu). N^2 D^3 P multiply-adds either way, but loops over the 4-index tensor took
// over 30 minutes at N = P = 50, D = 100 (Fig 3), and the GEMMs about a minute.
KernelTensor phi_contraction(const KernelTensor& K, const Eigen::MatrixXd& phi, int P) {
  using Rows = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const int N = K.N, D = K.D;
  const Eigen::Index ND = static_cast<Eigen::Index>(N) * D, DP = static_cast<Eigen::Index>(D) * P;
  Rows V(ND * D, P);  // row (a, p, r), column mu: K(a,mu)_pr; then times Phi
  for (int a = 0; a < N; ++a)
    for (int p = 0; p < D; ++p)
      for (int r = 0; r < D; ++r)
        for (int mu = 0; mu < P; ++mu) V((static_cast<Eigen::Index>(a) * D + p) * D + r, mu) = K.at(a, mu, p, r);
  throw_if_interrupted();
  V = V * phi;
  Rows B(DP, ND);  // row (r, nu), column (b, q): K(nu,b)_rq
  for (int r = 0; r < D; ++r)
    for (int nu = 0; nu < P; ++nu)
      for (int b = 0; b < N; ++b)
        for (int q = 0; q < D; ++q)
          B(static_cast<Eigen::Index>(r) * P + nu, static_cast<Eigen::Index>(b) * D + q) = K.at(nu, b, r, q);
  throw_if_interrupted();
  // The same memory read as (a, p) x (r, nu).
  const Eigen::Map<const Rows> Vr(V.data(), ND, DP);
  Rows Mm(ND, ND);
  Mm.noalias() = Vr * B;
  KernelTensor M(N, D);
  for (int a = 0; a < N; ++a)
    for (int b = 0; b < N; ++b)
      for (int p = 0; p < D; ++p)
        for (int q = 0; q < D; ++q)
          M.at(a, b, p, q) = Mm(static_cast<Eigen::Index>(a) * D + p, static_cast<Eigen::Index>(b) * D + q) / D;
  return M;
}

}  // namespace

CnnTheoryForms deep_linear_cnn_theory_forms(const ModelSpec& m, const std::vector<KernelTensor>& K0,
                                            const Eigen::MatrixXd& phi, int P, bool propagated, bool unpropagated) {
  const int L = m.depth(), nd = m.n_out;
  const double s_out = m.sigma[L] * m.sigma[L], sL = prior_scale(m, L);
  std::vector<KernelTensor> M;  // M_1..M_L: the costly part, shared by both forms
  for (int l = 1; l <= L; ++l) {
    throw_if_interrupted();
    M.push_back(phi_contraction(K0[l], phi, P));
  }
  CnnTheoryForms out;
  for (int l = 1; l <= L; ++l) {
    const double sl = prior_scale(m, l);
    if (propagated) {
      // A fluctuation born at layer m reaches layer l through A^{l-m}.
      KernelTensor K = K0[l];
      for (int mm = 1; mm <= l; ++mm) {
        KernelTensor T = M[mm - 1];
        for (int k = mm; k < l; ++k) {
          throw_if_interrupted();
          T = apply_window(m, T);
        }
        const double sm = prior_scale(m, mm);
        const double coef = nd * s_out * sl * sL / (sm * sm * m.widths[mm - 1]);
        for (std::size_t i = 0; i < K.v.size(); ++i) K.v[i] += coef * T.v[i];
      }
      out.propagated.push_back(std::move(K));
    }
    if (unpropagated) {
      // The shortcut: sum_m n_d / c_m times M_l, no propagation (exact only for l = 1).
      KernelTensor K = K0[l];
      double inv = 0;
      for (int mm = 1; mm <= l; ++mm) inv += 1.0 / m.widths[mm - 1];
      const double coef = nd * s_out * sL / sl * inv;
      for (std::size_t i = 0; i < K.v.size(); ++i) K.v[i] += coef * M[l - 1].v[i];
      out.unpropagated.push_back(std::move(K));
    }
  }
  return out;
}

std::vector<KernelTensor> deep_linear_cnn_theory(const ModelSpec& m, const std::vector<KernelTensor>& K0,
                                                 const Eigen::MatrixXd& phi, int P, bool propagated) {
  CnnTheoryForms f = deep_linear_cnn_theory_forms(m, K0, phi, P, propagated, !propagated);
  return propagated ? std::move(f.propagated) : std::move(f.unpropagated);
}

}  // namespace fwmc
