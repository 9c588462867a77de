#include "host/estimators/field_accumulator.hpp"

#include <algorithm>

namespace fwmc {

namespace {

// A host vector as a backend buffer.
template <class E, class T>
Buffer<E, T> on_backend(Backend<T>& be, const std::vector<E>& v) {
  Buffer<E, T> b(be, std::max<std::size_t>(v.size(), 1));
  if (!v.empty()) b.upload(v);
  return b;
}

}  // namespace

template <class T>
FieldAccumulator<T>::FieldAccumulator(Backend<T>& be, const SteinFieldData& data, const ModelSpec& m, int chains,
                                      int groups, int Rs, int Tc, int wmax)
    : be_(be), m_(m), C_(chains), G_(groups), Rs_(Rs), Tc_(Tc), act_(data.act), xg_(data.xg), g_(data.g) {
  relu_rows_ = data.relu_rows;
  relu_w1_ = on_backend(be, data.relu_w1);
  g_nodes_ = on_backend(be, data.g_nodes);
  g_.nodes = g_nodes_.data();
  for (const auto& f : data.layers)
    fixed_.push_back({on_backend(be, f.pairs), on_backend(be, f.diag_offset), on_backend(be, f.diag_scale),
                      on_backend(be, f.nodes)});
  for (const auto& j : data.jacobians)
    jacobians_.push_back({on_backend(be, j.ab), on_backend(be, j.aa), on_backend(be, j.bb)});
  const std::size_t RR = static_cast<std::size_t>(Rs) * Rs;
  s_ = Buffer<T, T>(be, static_cast<std::size_t>(chains) * Rs * wmax);
  sigma_ = Buffer<T, T>(be, chains * RR);
  shared_sigma_ = Buffer<T, T>(be, RR);
  out_ = Buffer<double, T>(be, chains * RR);
  prev_ = Buffer<double, T>(be, chains * RR);
  plain_ = Buffer<T, T>(be, chains * RR);
  plain_d_ = Buffer<double, T>(be, chains * RR);
}

template <class T>
void FieldAccumulator<T>::add_plain_squares(const T* h, int ld, long stride, int n, double* squares) {
  const long RR = static_cast<long>(Rs_) * Rs_;
  be_.gemm(T(1.0 / n), matrices(h, Rs_, n, ld, stride), matrices(h, Rs_, n, ld, stride).t(), T(0),
           matrices(plain_.data(), Rs_, Rs_, Rs_, RR), C_);
  be_.fill_zero(plain_d_.data(), sizeof(double) * C_ * RR);
  be_.accumulate(C_ * RR, plain_.data(), 1.0, plain_d_.data());  // into double before squaring
  be_.group_moments(RR, C_, G_, plain_d_.data(), nullptr, squares);
}

template <class T>
void FieldAccumulator<T>::add(const Layer& x, const std::vector<std::uint8_t>* alive, double* acc, double* squares) {
  const double s2 = m_.sigma[x.l - 1] * m_.sigma[x.l - 1];
  const long RR = static_cast<long>(Rs_) * Rs_;
  // The Stein inputs S = sigma_l^2 K_{l-1}(sel, T) delta^l (Rs x n per chain).
  be_.gemm(T(s2), matrices(x.kin, Rs_, Tc_, Rs_, x.kin_stride), matrices(x.err, Tc_, x.n, x.ld, x.stride), T(0),
           matrices(s_.data(), Rs_, x.n, Rs_, static_cast<long>(Rs_) * x.n), C_);
  // Sigma = sigma_l^2 K_{l-1} over the selected inputs: layer 1's is the data's, the same for the whole run.
  const bool shared = x.in_stride == 0;
  if (!shared || !shared_sigma_ready_) {
    be_.gemm(T(s2 * x.in_scale), matrices(x.in, Rs_, x.in_cols, x.in_ld, x.in_stride),
             matrices(x.in, Rs_, x.in_cols, x.in_ld, x.in_stride).t(), T(0),
             matrices(shared ? shared_sigma_.data() : sigma_.data(), Rs_, Rs_, Rs_, RR), shared ? 1 : C_);
    shared_sigma_ready_ = shared_sigma_ready_ || shared;
  }
  shared::SteinFieldArgs<T> a;
  a.act = act_;
  a.chains = C_;
  a.M = Rs_;
  a.n = x.n;
  a.u = x.u;
  a.s = s_.data();
  a.ld = x.ld;
  a.stride = x.stride;
  a.sigma = shared ? shared_sigma_.data() : sigma_.data();
  a.sigma_stride = shared ? 0 : RR;
  a.relu_w1 = relu_w1_.data();
  a.relu_rows = relu_rows_;
  if (x.l <= static_cast<int>(fixed_.size())) {  // erf/tanh: every layer; relu: layer 1
    FixedLayer& f = fixed_[x.l - 1];
    a.fixed = f.pairs.data();
    a.diag_offset = f.diag_offset.data();
    a.diag_scale = f.diag_scale.data();
    a.w1_nodes = f.nodes.data();
  }
  a.g = g_;
  a.xg = xg_;
  a.s_ld = Rs_;
  a.s_stride = static_cast<long>(Rs_) * x.n;
  a.out = out_.data();
  be_.stein_field(a);
  // Layers >= 2: K^_l = F(Sigma) + tau - J_l[Sigma - sigma_l^2 K^_{l-1}], with this draw's K^_{l-1} of each chain.
  if (x.l >= 2) {
    const Jacobian& J = jacobians_[x.l - 1];
    be_.field_correction(
        {C_, Rs_, s2, J.ab.data(), J.aa.data(), J.bb.data(), sigma_.data(), prev_.data(), out_.data()});
  }
  be_.copy(prev_.data(), out_.data(), sizeof(double) * C_ * RR);
  if (alive)  // a dropped chain's zeroed activations would give a meaningless (or NaN) estimate: it adds nothing
    for (int c = 0; c < C_; ++c)
      if (!(*alive)[c]) be_.fill_zero(out_.data() + c * RR, sizeof(double) * RR);
  be_.group_moments(RR, C_, G_, out_.data(), acc, squares);
}

template class FieldAccumulator<float>;
template class FieldAccumulator<double>;

}  // namespace fwmc
