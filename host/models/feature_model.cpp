// What fcn and cnn models share: the per-layer parameter blocks, the prior's part of U, and the factory.
#include "fwmc/feature_model.hpp"

#include <algorithm>

#include "fwmc/cnn_model.hpp"
#include "fwmc/fcn_model.hpp"

namespace fwmc {

std::vector<ParamBlock> layer_param_blocks(const ModelSpec& m, int chains, std::uint64_t chain0) {
  std::vector<ParamBlock> blocks;
  long offset = 0, elem0 = 0;
  for (int l = 1; l <= m.depth() + 1; ++l) {
    ParamBlock b;
    b.offset = offset;
    b.layout = ChainBlock{m.layer_params(l), chains, elem0, chain0};
    b.prior_std = m.sigma[l - 1];
    blocks.push_back(b);
    offset += b.layout.size();
    elem0 += b.layout.per_chain;
  }
  return blocks;
}

template <class T>
FeatureModel<T>::FeatureModel(Backend<T>& be, const ModelSpec& m, const Dataset& d, double beta, int chains,
                              std::uint64_t chain0)
    : be_(be),
      m_(m),
      C_(chains),
      N_(d.N()),
      P_(d.P),
      L_(m.depth()),
      blocks_(layer_param_blocks(m, chains, chain0)),
      beta_(beta) {
  const int nd = m.n_out;
  const std::size_t rows = static_cast<std::size_t>(N_) * m.positions();
  std::vector<T> y(static_cast<std::size_t>(P_) * nd);
  for (int j = 0; j < nd; ++j)
    for (int i = 0; i < P_; ++i) y[i + static_cast<std::size_t>(j) * P_] = static_cast<T>(d.Y(i, j));
  Y_ = Buffer<T, T>(be, y.size());
  Y_.upload(y);
  Z_.resize(L_ + 1);
  H_.resize(L_ + 1);
  int wmax = m.in_channels;
  for (int l = 1; l <= L_; ++l) {
    Z_[l] = Buffer<T, T>(be, C_ * rows * m.widths[l - 1]);
    H_[l] = Buffer<T, T>(be, Z_[l].size());
    wmax = std::max(wmax, m.widths[l - 1]);
  }
  F_ = Buffer<T, T>(be, static_cast<std::size_t>(C_) * N_ * nd);
  dF_ = Buffer<T, T>(be, F_.size());
  dA_ = Buffer<T, T>(be, C_ * rows * wmax);
  dB_ = Buffer<T, T>(be, dA_.size());
  sums_ = Buffer<double, T>(be, 2 * static_cast<std::size_t>(C_));
}

template <class T>
void FeatureModel<T>::clear_chain(int c) {
  auto& be = this->backend();
  for (int l = 1; l <= spec().depth(); ++l) {
    const std::size_t block = static_cast<std::size_t>(rows()) * spec().widths[l - 1];
    for (auto* b : {&H_[l], &Z_[l], Delta_.empty() ? nullptr : &Delta_[l]})
      if (b) be.fill_zero(b->data() + c * block, block * sizeof(T));
  }
  const std::size_t out = static_cast<std::size_t>(N()) * spec().n_out;
  for (auto* b : {&F_, &dF_}) be.fill_zero(b->data() + c * out, out * sizeof(T));
}

template <class T>
void FeatureModel<T>::keep_signals() {
  if (!Delta_.empty()) return;
  Delta_.resize(Z_.size());
  for (std::size_t l = 1; l < Z_.size(); ++l) Delta_[l] = Buffer<T, T>(this->backend(), Z_[l].size());
}

template class FeatureModel<float>;
template class FeatureModel<double>;

template <class T>
void add_prior_and_total(Backend<T>& be, const std::vector<ParamBlock>& blocks, const T* theta, T* grad, double* sums,
                         double beta, std::vector<double>* U) {
  const int C = blocks[0].layout.chains;
  double* energy = sums + C;
  be.fill_zero(energy, sizeof(double) * C);
  for (const auto& b : blocks)
    be.add_prior(b.layout, theta + b.offset, 1.0 / (b.prior_std * b.prior_std), grad + b.offset, energy);
  if (!U) return;
  std::vector<double> h(2 * static_cast<std::size_t>(C));
  be.to_host(h.data(), sums, sizeof(double) * h.size());
  total_U(h.data(), C, beta, *U);
}

void total_U(const double* h, int C, double beta, std::vector<double>& U) {
  U.resize(C);
  for (int c = 0; c < C; ++c) U[c] = 0.5 * beta * h[c] + h[C + c];
}
template void add_prior_and_total(Backend<float>&, const std::vector<ParamBlock>&, const float*, float*, double*,
                                  double, std::vector<double>*);
template void add_prior_and_total(Backend<double>&, const std::vector<ParamBlock>&, const double*, double*, double*,
                                  double, std::vector<double>*);

template <class T>
std::unique_ptr<FeatureModel<T>> make_feature_model(Backend<T>& be, const ModelSpec& m, const Dataset& d, double beta,
                                                    int chains, std::uint64_t chain0) {
  if (m.arch == Arch::fcn) return std::make_unique<FcnModel<T>>(be, m, d, beta, chains, chain0);
  return std::make_unique<CnnModel<T>>(be, m, d, beta, chains, chain0);
}
template std::unique_ptr<FeatureModel<float>> make_feature_model(Backend<float>&, const ModelSpec&, const Dataset&,
                                                                 double, int, std::uint64_t);
template std::unique_ptr<FeatureModel<double>> make_feature_model(Backend<double>&, const ModelSpec&, const Dataset&,
                                                                  double, int, std::uint64_t);

}  // namespace fwmc
