// Gamma, Phi (docs/theory.md 3) and the deep linear closed forms for fcn (section 4) and cnn (section 5).
#include <cmath>

#include <Eigen/Eigenvalues>

#include "fwmc/errors.hpp"
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

// M(a,b)_pq = (1/D) sum_{mu,nu in T} Phi_{mu nu} sum_r K(a,mu)_pr K(nu,b)_rq
KernelTensor phi_contraction(const KernelTensor& K, const Eigen::MatrixXd& phi, int P) {
  const int N = K.N, D = K.D;
  // V(a,p,r,nu) = sum_mu K(a,mu)_pr Phi_{mu nu}
  std::vector<double> V(static_cast<std::size_t>(N) * D * D * P, 0.0);
  auto vi = [&](int a, int p, int r, int nu) { return ((std::size_t(a) * D + p) * D + r) * P + nu; };
  for (int a = 0; a < N; ++a)
    for (int mu = 0; mu < P; ++mu)
      for (int p = 0; p < D; ++p)
        for (int r = 0; r < D; ++r) {
          const double k = K.at(a, mu, p, r);
          for (int nu = 0; nu < P; ++nu) V[vi(a, p, r, nu)] += k * phi(mu, nu);
        }
  KernelTensor M(N, D);
  for (int a = 0; a < N; ++a)
    for (int b = 0; b < N; ++b)
      for (int p = 0; p < D; ++p)
        for (int q = 0; q < D; ++q) {
          double s = 0;
          for (int nu = 0; nu < P; ++nu)
            for (int r = 0; r < D; ++r) s += V[vi(a, p, r, nu)] * K.at(nu, b, r, q);
          M.at(a, b, p, q) = s / D;
        }
  return M;
}

}  // namespace

std::vector<KernelTensor> deep_linear_cnn_theory(const ModelSpec& m, const std::vector<KernelTensor>& K0,
                                                 const Eigen::MatrixXd& phi, int P, bool propagated) {
  const int L = m.depth(), nd = m.n_out;
  const double s_out = m.sigma[L] * m.sigma[L], sL = prior_scale(m, L);
  std::vector<KernelTensor> M;  // M_1..M_L
  for (int l = 1; l <= L; ++l) M.push_back(phi_contraction(K0[l], phi, P));
  std::vector<KernelTensor> out;
  for (int l = 1; l <= L; ++l) {
    const double sl = prior_scale(m, l);
    KernelTensor K = K0[l];
    if (propagated) {
      // A fluctuation born at layer m reaches layer l through A^{l-m}.
      for (int mm = 1; mm <= l; ++mm) {
        KernelTensor T = M[mm - 1];
        for (int k = mm; k < l; ++k) T = apply_window(m, T);
        const double sm = prior_scale(m, mm);
        const double coef = nd * s_out * sl * sL / (sm * sm * m.widths[mm - 1]);
        for (std::size_t i = 0; i < K.v.size(); ++i) K.v[i] += coef * T.v[i];
      }
    } else {
      // The shortcut: sum_m n_d / c_m times M_l, no propagation (exact only for l = 1).
      double inv = 0;
      for (int mm = 1; mm <= l; ++mm) inv += 1.0 / m.widths[mm - 1];
      const double coef = nd * s_out * sL / sl * inv;
      for (std::size_t i = 0; i < K.v.size(); ++i) K.v[i] += coef * M[l - 1].v[i];
    }
    out.push_back(K);
  }
  return out;
}

}  // namespace fwmc
