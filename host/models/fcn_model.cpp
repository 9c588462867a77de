#include "fwmc/fcn_model.hpp"

#include <algorithm>
#include <cmath>

namespace fwmc {

template <class T>
FcnModel<T>::FcnModel(Backend<T>& be, const ModelSpec& m, const Dataset& d, double beta, int chains,
                      std::uint64_t chain0)
    : FeatureModel<T>(be, m, d, beta, chains, chain0) {
  const int n0 = m.in_channels, nd = m.n_out;
  std::vector<T> x(static_cast<std::size_t>(N_) * n0);
  for (int j = 0; j < n0; ++j)
    for (int i = 0; i < N_; ++i) x[i + static_cast<std::size_t>(j) * N_] = static_cast<T>(d.X(i, j));
  X_ = Buffer<T, T>(be, x.size());
  X_.upload(x);
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
  // Layer 1: X (N x n0), shared by every chain, times each chain's Wt_1 (n0 x n1). One product per chain, never
  // all chains side by side: the BLAS would round a chain's columns by where they sit (CpuBackend::gemm_strided).
  const int n1 = m_.widths[0];
  const auto rows = [&](T* p, int width) { return matrices(p, N_, width, N_, static_cast<long>(N_) * width); };
  be_.gemm(T(1 / std::sqrt(double(n0))), matrix(X_.data(), N_, n0, N_), packed(theta + blocks_[0].offset, n0, n1), T(0),
           rows(Z_[1].data(), n1), C_);
  be_.activation_forward(static_cast<int>(m_.activation), static_cast<long>(C_) * N_ * n1, Z_[1].data(), H_[1].data());
  for (int l = 2; l <= L_; ++l) {
    const int a = m_.widths[l - 2], b = m_.widths[l - 1];
    be_.gemm(T(1 / std::sqrt(double(a))), rows(H_[l - 1].data(), a), packed(theta + blocks_[l - 1].offset, a, b), T(0),
             rows(Z_[l].data(), b), C_);
    be_.activation_forward(static_cast<int>(m_.activation), static_cast<long>(C_) * N_ * b, Z_[l].data(), H_[l].data());
  }
  const int nL = m_.widths[L_ - 1];
  be_.gemm(T(1 / std::sqrt(double(nL))), rows(H_[L_].data(), nL), packed(theta + blocks_[L_].offset, nL, nd), T(0),
           rows(F_.data(), nd), C_);
  be_.residual(P_, N_, nd, C_, F_.data(), Y_.data(), T(beta_), dF_.data(), sums_.data());
  if (loss) {
    loss->resize(C_);
    be_.to_host(loss->data(), sums_.data(), sizeof(double) * C_);
  }
}

template <class T>
void FcnModel<T>::evaluate_into(const T* theta, T* grad, std::vector<double>* U) {
  if (product_) return evaluate_product(theta, grad, U);
  forward(theta);
  backward(theta, grad, false);
  add_prior_and_total(be_, blocks_, theta, grad, sums_.data(), beta_, U);
}

template <class T>
void FcnModel<T>::backward(const T* theta, T* grad, bool keep) {
  if (keep) this->keep_signals();
  const int n0 = m_.in_channels, nd = m_.n_out, nL = m_.widths[L_ - 1];
  // Readout: grad Wt_{L+1} = H_L[:P]^T dF / sqrt(n_L);  dH_L = dF Wt_{L+1}^T / sqrt(n_L).
  const T sL = T(1 / std::sqrt(double(nL)));
  // The training rows of each chain's N x width activations (test rows carry no gradient).
  const auto train = [&](T* p, int width) { return matrices(p, P_, width, N_, static_cast<long>(N_) * width); };
  if (grad)
    be_.gemm(sL, train(H_[L_].data(), nL).t(), train(dF_.data(), nd), T(0), packed(grad + blocks_[L_].offset, nL, nd),
             C_);
  T* dH = dA_.data();
  T* spare = dB_.data();
  be_.gemm(sL, train(dF_.data(), nd), packed(theta + blocks_[L_].offset, nL, nd).t(), T(0), train(dH, nL), C_);
  for (int l = L_; l >= 1; --l) {
    const int a = l == 1 ? n0 : m_.widths[l - 2], b = m_.widths[l - 1];
    const T s = T(1 / std::sqrt(double(a)));
    // dZ = dH * phi'(Z) in place (rows >= P of dH are never written and stay zero).
    be_.activation_backward(static_cast<int>(m_.activation), static_cast<long>(C_) * N_ * b, Z_[l].data(), dH);
    if (keep) be_.copy(Delta_[l].data(), dH, Delta_[l].size() * sizeof(T));
    if (l == 1) {
      // X[:P]^T (n0 x P), shared, times each chain's dZ_1 (P x n1).
      if (grad)
        be_.gemm(s, matrix(X_.data(), P_, n0, N_).t(), train(dH, b), T(0), packed(grad + blocks_[0].offset, n0, b), C_);
      break;
    }
    if (grad)
      be_.gemm(s, train(H_[l - 1].data(), a).t(), train(dH, b), T(0), packed(grad + blocks_[l - 1].offset, a, b), C_);
    be_.gemm(s, train(dH, b), packed(theta + blocks_[l - 1].offset, a, b).t(), T(0), train(spare, a), C_);
    std::swap(dH, spare);
  }
}

// A linear network is f = X A_1 with A_l = s_l Wt_l A_{l+1} (s_l = 1/sqrt(n_{l-1})), so U needs only the n_{l-1} x n_d
// products A_l. With E_l = (X s_1 Wt_1 ... s_{l-1} Wt_{l-1})^T dF, grad Wt_l = s_l E_l A_{l+1}^T and
// grad Wt_{L+1} = s_{L+1} E_{L+1}: every GEMM has n_d or P as one of its sizes, none has P n^2 work.
template <class T>
void FcnModel<T>::evaluate_product(const T* theta, T* grad, std::vector<double>* U) {
  const int nd = m_.n_out;
  const auto n = [&](int l) { return l == L_ + 1 ? nd : m_.layer_width(l); };
  const auto W = [&](int l) { return packed(theta + blocks_[l - 1].offset, n(l - 1), n(l)); };  // Wt_l per chain
  const auto s = [&](int l) { return T(1 / std::sqrt(double(n(l - 1)))); };
  const auto A = [&](int l) { return packed(A_[l].data(), n(l - 1), nd); };  // A_l, E_l: n_{l-1} x n_d per chain
  const auto E = [&](int l) { return packed(E_[l].data(), n(l - 1), nd); };
  // The readout's scale is folded into layer L's GEMMs, so A_{L+1} = s_{L+1} Wt_{L+1} is never formed.
  const T sLL = T(1 / std::sqrt(double(n(L_ - 1)) * n(L_)));
  const auto next = [&](int l) { return l == L_ ? W(L_ + 1) : A(l + 1); };  // what multiplies s_l Wt_l
  for (int l = L_; l >= 1; --l) be_.gemm(l == L_ ? sLL : s(l), W(l), next(l), T(0), A(l), C_);
  // F = X[:P] A_1 and E_1 = X[:P]^T dF, X shared by every chain.
  const int n0 = n(0);
  const auto X = matrix(X_.data(), P_, n0, N_);
  const auto out = [&](T* p) { return matrices(p, P_, nd, N_, static_cast<long>(N_) * nd); };  // F, dF per chain
  be_.gemm(T(1), X, A(1), T(0), out(F_.data()), C_);
  be_.residual(P_, N_, nd, C_, F_.data(), Y_.data(), T(beta_), dF_.data(), sums_.data());
  be_.gemm(T(1), X.t(), out(dF_.data()), T(0), E(1), C_);
  for (int l = 1; l < L_; ++l) be_.gemm(s(l), W(l).t(), E(l), T(0), E(l + 1), C_);
  T* g = grad;
  const auto G = [&](int l) { return packed(g + blocks_[l - 1].offset, n(l - 1), n(l)); };  // grad Wt_l per chain
  be_.gemm(sLL, W(L_).t(), E(L_), T(0), G(L_ + 1), C_);
  for (int l = 1; l <= L_; ++l) be_.gemm(l == L_ ? sLL : s(l), E(l), next(l).t(), T(0), G(l), C_);
  add_prior_and_total(be_, blocks_, theta, g, sums_.data(), beta_, U);
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
