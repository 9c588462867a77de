#include "fwmc/fcn_model.hpp"

#include <algorithm>
#include <cmath>

namespace fwmc {

template <class T>
FcnModel<T>::FcnModel(Backend<T>& be, const ModelSpec& m, const Dataset& d, double beta, int chains,
                      std::uint64_t chain0)
    : be_(be), m_(m), C_(chains), N_(d.N()), P_(d.P), L_(m.depth()), beta_(beta) {
  blocks_ = layer_param_blocks(m, C_, chain0);
  const int n0 = m.in_channels, nd = m.n_out;
  std::vector<T> x(static_cast<std::size_t>(N_) * n0), y(static_cast<std::size_t>(P_) * nd);
  for (int j = 0; j < n0; ++j)
    for (int i = 0; i < N_; ++i) x[i + static_cast<std::size_t>(j) * N_] = static_cast<T>(d.X(i, j));
  for (int j = 0; j < nd; ++j)
    for (int i = 0; i < P_; ++i) y[i + static_cast<std::size_t>(j) * P_] = static_cast<T>(d.Y(i, j));
  X_ = Buffer<T, T>(be, x.size());
  X_.upload(x);
  Y_ = Buffer<T, T>(be, y.size());
  Y_.upload(y);
  Z_.resize(L_ + 1);
  H_.resize(L_ + 1);
  int wmax = n0;
  for (int l = 1; l <= L_; ++l) {
    const std::size_t n = static_cast<std::size_t>(C_) * N_ * m.widths[l - 1];
    Z_[l] = Buffer<T, T>(be, n);
    H_[l] = Buffer<T, T>(be, n);
    wmax = std::max(wmax, m.widths[l - 1]);
  }
  F_ = Buffer<T, T>(be, static_cast<std::size_t>(C_) * N_ * nd);
  dF_ = Buffer<T, T>(be, F_.size());
  dA_ = Buffer<T, T>(be, static_cast<std::size_t>(C_) * N_ * wmax);
  dB_ = Buffer<T, T>(be, static_cast<std::size_t>(C_) * N_ * wmax);
  loss_ = Buffer<double, T>(be, C_);
  energy_ = Buffer<double, T>(be, C_);
  product_ = uses_weight_product(m, P_);
  if (product_) {
    A_.resize(L_ + 1);
    E_.resize(L_ + 1);
    for (int l = 1; l <= L_; ++l) {
      A_[l] = Buffer<T, T>(be, static_cast<std::size_t>(C_) * m.layer_width(l - 1) * nd);
      E_[l] = Buffer<T, T>(be, A_[l].size());
    }
  }
}

template <class T>
void FcnModel<T>::forward(const T* theta, std::vector<double>* loss) {
  const int n0 = m_.in_channels, nd = m_.n_out;
  // Layer 1 for all chains at once: X (N x n0) times [Wt_1 of chain 0 | chain 1 | ...] (n0 x C n1).
  const int n1 = m_.widths[0];
  be_.gemm(false, false, N_, C_ * n1, n0, T(1 / std::sqrt(double(n0))), X_.data(), N_, 0, theta + blocks_[0].offset,
           n0, 0, T(0), Z_[1].data(), N_, 0, 1);
  be_.activation_forward(static_cast<int>(m_.activation), static_cast<long>(C_) * N_ * n1, Z_[1].data(), H_[1].data());
  for (int l = 2; l <= L_; ++l) {
    const int a = m_.widths[l - 2], b = m_.widths[l - 1];
    be_.gemm(false, false, N_, b, a, T(1 / std::sqrt(double(a))), H_[l - 1].data(), N_, static_cast<long>(N_) * a,
             theta + blocks_[l - 1].offset, a, static_cast<long>(a) * b, T(0), Z_[l].data(), N_,
             static_cast<long>(N_) * b, C_);
    be_.activation_forward(static_cast<int>(m_.activation), static_cast<long>(C_) * N_ * b, Z_[l].data(),
                           H_[l].data());
  }
  const int nL = m_.widths[L_ - 1];
  be_.gemm(false, false, N_, nd, nL, T(1 / std::sqrt(double(nL))), H_[L_].data(), N_, static_cast<long>(N_) * nL,
           theta + blocks_[L_].offset, nL, static_cast<long>(nL) * nd, T(0), F_.data(), N_, static_cast<long>(N_) * nd,
           C_);
  be_.residual(P_, N_, nd, C_, F_.data(), Y_.data(), T(beta_), dF_.data(), loss_.data());
  if (loss) {
    loss->resize(C_);
    be_.to_host(loss->data(), loss_.data(), sizeof(double) * C_);
  }
}

template <class T>
void FcnModel<T>::evaluate(const T* theta, T* grad, std::vector<double>& U) {
  if (product_) return evaluate_product(theta, grad, U);
  forward(theta, &loss_h_);
  backward(theta, grad, false);
  add_prior_and_total(be_, blocks_, theta, grad, energy_.data(), loss_h_, beta_, U);
}

template <class T>
void FcnModel<T>::backward(const T* theta, T* grad, bool keep) {
  if (keep) this->keep_signals();
  const int n0 = m_.in_channels, nd = m_.n_out, nL = m_.widths[L_ - 1];
  // Readout: grad Wt_{L+1} = H_L[:P]^T dF / sqrt(n_L);  dH_L = dF Wt_{L+1}^T / sqrt(n_L).
  const T sL = T(1 / std::sqrt(double(nL)));
  if (grad)
    be_.gemm(true, false, nL, nd, P_, sL, H_[L_].data(), N_, static_cast<long>(N_) * nL, dF_.data(), N_,
             static_cast<long>(N_) * nd, T(0), grad + blocks_[L_].offset, nL, static_cast<long>(nL) * nd, C_);
  T* dH = dA_.data();
  T* spare = dB_.data();
  be_.gemm(false, true, P_, nL, nd, sL, dF_.data(), N_, static_cast<long>(N_) * nd, theta + blocks_[L_].offset, nL,
           static_cast<long>(nL) * nd, T(0), dH, N_, static_cast<long>(N_) * nL, C_);
  for (int l = L_; l >= 1; --l) {
    const int a = l == 1 ? n0 : m_.widths[l - 2], b = m_.widths[l - 1];
    const T s = T(1 / std::sqrt(double(a)));
    // dZ = dH * phi'(Z) in place (rows >= P of dH are never written and stay zero).
    be_.activation_backward(static_cast<int>(m_.activation), static_cast<long>(C_) * N_ * b, Z_[l].data(), dH);
    if (keep) be_.copy(Delta_[l].data(), dH, Delta_[l].size() * sizeof(T));
    if (l == 1) {
      // All chains at once: X[:P]^T (n0 x P) times [dZ_1 of every chain] (P x C n1).
      if (grad)
        be_.gemm(true, false, n0, C_ * b, P_, s, X_.data(), N_, 0, dH, N_, 0, T(0), grad + blocks_[0].offset, n0, 0, 1);
      break;
    }
    if (grad)
      be_.gemm(true, false, a, b, P_, s, H_[l - 1].data(), N_, static_cast<long>(N_) * a, dH, N_,
               static_cast<long>(N_) * b, T(0), grad + blocks_[l - 1].offset, a, static_cast<long>(a) * b, C_);
    be_.gemm(false, true, P_, a, b, s, dH, N_, static_cast<long>(N_) * b, theta + blocks_[l - 1].offset, a,
             static_cast<long>(a) * b, T(0), spare, N_, static_cast<long>(N_) * a, C_);
    std::swap(dH, spare);
  }
}

// A linear network is f = X A_1 with A_l = s_l Wt_l A_{l+1} (s_l = 1/sqrt(n_{l-1})), so U needs only the n_{l-1} x n_d
// products A_l. With E_l = (X s_1 Wt_1 ... s_{l-1} Wt_{l-1})^T dF, grad Wt_l = s_l E_l A_{l+1}^T and
// grad Wt_{L+1} = s_{L+1} E_{L+1}: every GEMM has n_d or P as one of its sizes, none has P n^2 work.
template <class T>
void FcnModel<T>::evaluate_product(const T* theta, T* grad, std::vector<double>& U) {
  const int nd = m_.n_out;
  const auto n = [&](int l) { return l == L_ + 1 ? nd : m_.layer_width(l); };
  const auto w = [&](int l) { return theta + blocks_[l - 1].offset; };
  const auto s = [&](int l) { return T(1 / std::sqrt(double(n(l - 1)))); };
  const auto stride = [&](int l) { return static_cast<long>(n(l - 1)) * n(l); };
  const auto pstride = [&](int l) { return static_cast<long>(n(l - 1)) * nd; };
  // The readout's scale is folded into layer L's GEMMs, so A_{L+1} = s_{L+1} Wt_{L+1} is never formed.
  const T sLL = T(1 / std::sqrt(double(n(L_ - 1)) * n(L_)));
  for (int l = L_; l >= 1; --l) {
    const bool last = l == L_;
    be_.gemm(false, false, n(l - 1), nd, n(l), last ? sLL : s(l), w(l), n(l - 1), stride(l),
             last ? w(L_ + 1) : A_[l + 1].data(), n(l), last ? stride(L_ + 1) : pstride(l + 1), T(0), A_[l].data(),
             n(l - 1), pstride(l), C_);
  }
  // F = X[:P] A_1 and E_1 = X[:P]^T dF for all chains at once (A_1 and E_1 of the chains side by side: n0 x C n_d).
  const int n0 = n(0);
  be_.gemm(false, false, P_, C_ * nd, n0, T(1), X_.data(), N_, 0, A_[1].data(), n0, 0, T(0), F_.data(), N_, 0, 1);
  be_.residual(P_, N_, nd, C_, F_.data(), Y_.data(), T(beta_), dF_.data(), loss_.data());
  loss_h_.resize(C_);
  be_.to_host(loss_h_.data(), loss_.data(), sizeof(double) * C_);
  be_.gemm(true, false, n0, C_ * nd, P_, T(1), X_.data(), N_, 0, dF_.data(), N_, 0, T(0), E_[1].data(), n0, 0, 1);
  for (int l = 1; l < L_; ++l)
    be_.gemm(true, false, n(l), nd, n(l - 1), s(l), w(l), n(l - 1), stride(l), E_[l].data(), n(l - 1), pstride(l),
             T(0), E_[l + 1].data(), n(l), pstride(l + 1), C_);
  T* g = grad;
  be_.gemm(true, false, n(L_), nd, n(L_ - 1), sLL, w(L_), n(L_ - 1), stride(L_), E_[L_].data(), n(L_ - 1), pstride(L_),
           T(0), g + blocks_[L_].offset, n(L_), stride(L_ + 1), C_);
  for (int l = 1; l <= L_; ++l) {
    const bool last = l == L_;
    be_.gemm(false, true, n(l - 1), n(l), nd, last ? sLL : s(l), E_[l].data(), n(l - 1), pstride(l),
             last ? w(L_ + 1) : A_[l + 1].data(), n(l), last ? stride(L_ + 1) : pstride(l + 1), T(0),
             g + blocks_[l - 1].offset, n(l - 1), stride(l), C_);
  }
  add_prior_and_total(be_, blocks_, theta, g, energy_.data(), loss_h_, beta_, U);
}

template <class T>
typename FeatureModel<T>::LayerInput FcnModel<T>::layer_input(int l) {
  if (l == 1) return {X_.data(), m_.in_channels, 0, 1.0 / m_.in_channels};
  const int a = m_.widths[l - 2];
  return {H_[l - 1].data(), a, static_cast<long>(N_) * a, 1.0 / a};
}

template class FcnModel<float>;
template class FcnModel<double>;

}  // namespace fwmc
