#include <algorithm>
#include <cmath>

#include "fwmc/estimators.hpp"

namespace fwmc {

std::vector<std::vector<double>> Traces::per_chain(std::size_t k) const {
  std::vector<std::vector<double>> out(chains, std::vector<double>(draws));
  for (long d = 0; d < draws; ++d)
    for (int c = 0; c < chains; ++c) out[c][d] = values[k][d * chains + c];
  return out;
}

std::vector<double> kernel_order(const std::vector<double>& raw, int groups, int N, int D) {
  const std::size_t R = static_cast<std::size_t>(N) * D, per = R * R;
  std::vector<double> out(raw.size());
  for (int g = 0; g < groups; ++g)
    for (int a = 0; a < N; ++a)
      for (int b = 0; b < N; ++b)
        for (int i = 0; i < D; ++i)
          for (int j = 0; j < D; ++j)
            out[g * per + ((static_cast<std::size_t>(a) * N + b) * D + i) * D + j] =
                raw[g * per + (static_cast<std::size_t>(i) * N + a) + R * (static_cast<std::size_t>(j) * N + b)];
  return out;
}

KernelEstimate estimate_from_groups(const std::vector<double>& sums, int G, int N, int D, double count) {
  KernelEstimate e{KernelTensor(N, D), KernelTensor(N, D)};
  const std::size_t n = e.mean.v.size();
  for (std::size_t i = 0; i < n; ++i) {
    double m = 0;
    for (int g = 0; g < G; ++g) m += sums[g * n + i] / count;
    m /= G;
    double v = 0;
    for (int g = 0; g < G; ++g) v += std::pow(sums[g * n + i] / count - m, 2);
    e.mean.v[i] = m;
    e.mcse.v[i] = std::sqrt(v / (G - 1) / G);
  }
  return e;
}

template <class T>
KernelAccumulator<T>::KernelAccumulator(FeatureModel<T>& model, int groups, const Eigen::MatrixXd& phi)
    : model_(model), G_(groups), C_(model.chains()), N_(model.N()), P_(model.P()), L_(model.spec().depth()),
      D_(model.positions()), R_(model.rows()) {
  auto& be = model.backend();
  std::vector<T> ph(static_cast<std::size_t>(P_) * P_);
  for (int j = 0; j < P_; ++j)
    for (int i = 0; i < P_; ++i) ph[i + static_cast<std::size_t>(j) * P_] = static_cast<T>(phi(i, j));
  phi_ = Buffer<T, T>(be, ph.size());
  phi_.upload(ph);
  int wmax = 0;
  for (int w : model.spec().widths) wmax = std::max(wmax, w);
  kscratch_ = Buffer<T, T>(be, static_cast<std::size_t>(G_) * R_ * R_);
  phiH_ = Buffer<T, T>(be, static_cast<std::size_t>(C_) * P_ * D_ * wmax);
  for (int l = 1; l <= L_; ++l) acc_.emplace_back(be, static_cast<std::size_t>(G_) * R_ * R_);
  dots_ = Buffer<double, T>(be, C_);
  traces_.chains = C_;
  traces_.names = {"U", "loss"};
  for (int l = 1; l <= L_; ++l) traces_.names.push_back("trK" + std::to_string(l) + "Phi");
  traces_.values.resize(traces_.names.size());
}

template <class T>
void KernelAccumulator<T>::observe(const T* theta, const std::vector<double>& U) {
  auto& be = model_.backend();
  std::vector<double> loss;
  model_.forward(theta, &loss);
  traces_.values[0].insert(traces_.values[0].end(), U.begin(), U.end());
  traces_.values[1].insert(traces_.values[1].end(), loss.begin(), loss.end());
  const int cg = C_ / G_;
  for (int l = 1; l <= L_; ++l) {
    const int n = model_.spec().widths[l - 1];
    const T* H = model_.hidden(l);
    // Sum over a group's chains of H_c H_c^T / n: one GEMM per group, [H_c...] is (D N) x (cg n).
    const long gs = static_cast<long>(cg) * R_ * n;
    be.gemm(false, true, R_, R_, cg * n, T(1.0 / n), H, R_, gs, H, R_, gs, T(0), kscratch_.data(), R_,
            static_cast<long>(R_) * R_, G_);
    be.accumulate(static_cast<long>(G_) * R_ * R_, kscratch_.data(), 1.0, acc_[l - 1].data());
    // tr(K_l Phi) (cnn: of the spatial trace) = (1/(D n)) sum <H_c[:P], Phi H_c[:P]>, H_c viewed as N x (D n).
    const int cols = D_ * n;
    be.gemm(false, false, P_, cols, P_, T(1), phi_.data(), P_, 0, H, N_, static_cast<long>(R_) * n, T(0), phiH_.data(),
            P_, static_cast<long>(P_) * cols, C_);
    be.chain_dot(P_, cols, C_, H, N_, static_cast<long>(R_) * n, phiH_.data(), P_, static_cast<long>(P_) * cols,
                 dots_.data());
    std::vector<double> d = dots_.download();
    for (double& x : d) x /= cols;
    traces_.values[1 + l].insert(traces_.values[1 + l].end(), d.begin(), d.end());
  }
  ++draws_;
  traces_.draws = draws_;
}

template <class T>
std::vector<KernelEstimate> KernelAccumulator<T>::estimates() const {
  std::vector<KernelEstimate> out;
  const double count = static_cast<double>(C_ / G_) * draws_;
  for (int l = 1; l <= L_; ++l)
    out.push_back(estimate_from_groups(kernel_order(acc_[l - 1].download(), G_, N_, D_), G_, N_, D_, count));
  return out;
}

template class KernelAccumulator<float>;
template class KernelAccumulator<double>;

}  // namespace fwmc
