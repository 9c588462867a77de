#include "fwmc/cnn_model.hpp"

#include <algorithm>
#include <cmath>

namespace fwmc {

template <class T>
CnnModel<T>::CnnModel(Backend<T>& be, const ModelSpec& m, const Dataset& d, double beta, int chains,
                      std::uint64_t chain0)
    : FeatureModel<T>(be, m, d, beta, chains, chain0), D_(m.positions()), S_(m.window_size()) {
  const int c0 = m.in_channels;
  const long DN = static_cast<long>(D_) * N_;
  std::vector<int> nb(static_cast<std::size_t>(D_) * S_), inv(nb.size());
  for (int i = 0; i < D_; ++i)
    for (int s = 0; s < S_; ++s) {
      nb[i * S_ + s] = m.neighbor(i, s);
      inv[m.neighbor(i, s) * S_ + s] = i;
    }
  nb_ = Buffer<int, T>(be, nb.size());
  nb_.upload(nb);
  inv_ = Buffer<int, T>(be, inv.size());
  inv_.upload(inv);
  // First-layer patches from the data (host): row i*N + a, column s*c0 + b.
  std::vector<T> p0(static_cast<std::size_t>(DN) * S_ * c0);
  for (int b = 0; b < c0; ++b)
    for (int s = 0; s < S_; ++s)
      for (int i = 0; i < D_; ++i)
        for (int a = 0; a < N_; ++a)
          p0[i * N_ + a + DN * (static_cast<long>(s) * c0 + b)] = static_cast<T>(d.X(a, m.neighbor(i, s) * c0 + b));
  patches0_ = Buffer<T, T>(be, p0.size());
  patches0_.upload(p0);
  int cmax = c0;
  for (int l = 1; l <= L_; ++l) cmax = std::max(cmax, m.widths[l - 1]);
  patches_ = Buffer<T, T>(be, L_ > 1 ? static_cast<std::size_t>(C_) * DN * S_ * cmax : 0);
  dpatches_ = Buffer<T, T>(be, patches_.size());
}

template <class T>
void CnnModel<T>::forward(const T* theta, std::vector<double>* loss) {
  const int c0 = m_.in_channels, nd = m_.n_out, act = static_cast<int>(m_.activation);
  const long DN = static_cast<long>(D_) * N_;
  const int c1 = m_.widths[0];
  // Layer 1: the shared patches (D N x S c0) times each chain's Wt_1 (S c0 x c1), one product per chain.
  const int dn = static_cast<int>(DN);
  be_.gemm(T(1 / std::sqrt(double(S_) * c0)), matrix(patches0_.data(), dn, S_ * c0, dn),
           packed(theta + blocks_[0].offset, S_ * c0, c1), T(0), packed(Z_[1].data(), dn, c1), C_);
  be_.activation_forward(act, C_ * DN * c1, Z_[1].data(), H_[1].data());
  for (int l = 2; l <= L_; ++l) {
    const int a = m_.widths[l - 2], b = m_.widths[l - 1];
    be_.im2col(N_, D_, S_, a, C_, nb_.data(), H_[l - 1].data(), patches_.data());
    be_.gemm(T(1 / std::sqrt(double(S_) * a)), packed(patches_.data(), dn, S_ * a),
             packed(theta + blocks_[l - 1].offset, S_ * a, b), T(0), packed(Z_[l].data(), dn, b), C_);
    be_.activation_forward(act, C_ * DN * b, Z_[l].data(), H_[l].data());
  }
  const int cL = m_.widths[L_ - 1], k = D_ * cL;
  // The readout sees each chain's last layer as N x (D c_L).
  be_.gemm(T(1 / std::sqrt(double(k))), matrices(H_[L_].data(), N_, k, N_, DN * cL),
           packed(theta + blocks_[L_].offset, k, nd), T(0), packed(F_.data(), N_, nd), C_);
  be_.residual(P_, N_, nd, C_, F_.data(), Y_.data(), T(beta_), dF_.data(), sums_.data());
  if (loss) {
    loss->resize(C_);
    be_.to_host(loss->data(), sums_.data(), sizeof(double) * C_);
  }
}

template <class T>
void CnnModel<T>::evaluate_into(const T* theta, T* grad, std::vector<double>* U) {
  forward(theta);
  backward(theta, grad, false);
  add_prior_and_total(be_, blocks_, theta, grad, sums_.data(), beta_, U);
}

template <class T>
void CnnModel<T>::backward(const T* theta, T* grad, bool keep) {
  if (keep) this->keep_signals();
  const int c0 = m_.in_channels, nd = m_.n_out, act = static_cast<int>(m_.activation);
  const long DN = static_cast<long>(D_) * N_;
  const int cL = m_.widths[L_ - 1], k = D_ * cL;
  const T sk = T(1 / std::sqrt(double(k)));
  // Readout (test rows of dF are zero, so all N rows can enter): grad = Hflat^T dF, dHflat = dF W^T.
  const int dn = static_cast<int>(DN);
  if (grad)
    be_.gemm(sk, matrices(H_[L_].data(), N_, k, N_, DN * cL).t(), packed(dF_.data(), N_, nd), T(0),
             packed(grad + blocks_[L_].offset, k, nd), C_);
  T* dH = dA_.data();
  T* spare = dB_.data();
  be_.gemm(sk, packed(dF_.data(), N_, nd), packed(theta + blocks_[L_].offset, k, nd).t(), T(0),
           matrices(dH, N_, k, N_, DN * cL), C_);
  for (int l = L_; l >= 1; --l) {
    const int a = l == 1 ? c0 : m_.widths[l - 2], b = m_.widths[l - 1];
    const T s = T(1 / std::sqrt(double(S_) * a));
    be_.activation_backward(act, C_ * DN * b, Z_[l].data(), dH);
    if (keep) be_.copy(Delta_[l].data(), dH, Delta_[l].size() * sizeof(T));
    if (l == 1) {
      if (grad)
        be_.gemm(s, matrix(patches0_.data(), dn, S_ * c0, dn).t(), packed(dH, dn, b), T(0),
                 packed(grad + blocks_[0].offset, S_ * c0, b), C_);
      break;
    }
    if (grad) {
      be_.im2col(N_, D_, S_, a, C_, nb_.data(), H_[l - 1].data(), patches_.data());
      be_.gemm(s, packed(patches_.data(), dn, S_ * a).t(), packed(dH, dn, b), T(0),
               packed(grad + blocks_[l - 1].offset, S_ * a, b), C_);
    }
    be_.gemm(s, packed(dH, dn, b), packed(theta + blocks_[l - 1].offset, S_ * a, b).t(), T(0),
             packed(dpatches_.data(), dn, S_ * a), C_);
    be_.col2im(N_, D_, S_, a, C_, inv_.data(), dpatches_.data(), spare);
    std::swap(dH, spare);
  }
}

template <class T>
typename FeatureModel<T>::LayerInput CnnModel<T>::layer_input(int l) {
  const int c0 = m_.in_channels;
  if (l == 1) return {patches0_.data(), S_ * c0, 0, 1.0 / (double(S_) * c0)};
  const int a = m_.widths[l - 2];
  be_.im2col(N_, D_, S_, a, C_, nb_.data(), H_[l - 1].data(), patches_.data());
  return {patches_.data(), S_ * a, static_cast<long>(D_) * N_ * S_ * a, 1.0 / (double(S_) * a)};
}

template class CnnModel<float>;
template class CnnModel<double>;

}  // namespace fwmc
