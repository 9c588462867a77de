#include "host/estimators/stein_statistics.hpp"

#include <algorithm>
#include <stdexcept>

#include "host/estimators/field_accumulator.hpp"

namespace fwmc {

template <class T>
SteinStatistics<T>::SteinStatistics(FeatureModel<T>& model, const AccumulatorLayout& n, const Statistics& stats,
                                    GroupOuterSums<T>& sums, const SteinFieldData* field, int wmax)
    : model_(model), n_(n), stats_(stats), sums_(sums) {
  auto& be = model.backend();
  // Per chain: the kernel of the layer's input (selected rows x training side) and Z delta^T (the same shape).
  kin_ = Buffer<T, T>(be, static_cast<std::size_t>(n_.chains) * n_.selected_rows * n_.train_cols);
  zdelta_ = Buffer<T, T>(be, kin_.size());
  shared_kin_ = Buffer<T, T>(be, static_cast<std::size_t>(n_.selected_rows) * n_.train_cols);
  zsum_ = Buffer<T, T>(be, static_cast<std::size_t>(n_.groups) * n_.selected_rows * n_.train_cols);
  ones_ = Buffer<T, T>(be, n_.chains / n_.groups);
  ones_.upload(std::vector<T>(n_.chains / n_.groups, T(1)));
  int in_max = 0;
  for (int l = 1; l <= n_.layers + 1; ++l)
    in_max = std::max(in_max, model.spec().window_size() * model.spec().layer_width(l - 1));
  if (n_.gather) gathered_in_ = Buffer<T, T>(be, static_cast<std::size_t>(n_.chains) * n_.rows * in_max);
  if (stats_.field) {
    if (!field || field->empty())
      throw std::logic_error("KernelAccumulator: a nonlinear fcn's Stein statistics need the field's tables");
    field_ = std::make_unique<FieldAccumulator<T>>(be, *field, model.spec(), n_.chains, n_.groups, n_.selected_rows,
                                                   n_.train_cols, wmax);
  }
}

template <class T>
SteinStatistics<T>::~SteinStatistics() = default;

template <class T>
void SteinStatistics<T>::add_plain_squares(const T* h, long stride, int n, int l) {
  if (field_) field_->add_plain_squares(h, n_.rows, stride, n, sums_.sum(stats_.K2(l)));
}

template <class T>
bool SteinStatistics<T>::reassociate(int n, int in_cols, bool shared) const {
  const double sel = n_.selected_rows, T_ = n_.train_cols, cg = double(n_.chains) / n_.groups;
  const double old_cost = (shared ? 0.0 : sel * T_ * in_cols) + sel * T_ * n + sel * sel * T_ / (shared ? cg : 1.0);
  const double new_cost = T_ * in_cols * n + sel * in_cols * n + sel * sel * n;
  const double room = static_cast<double>(kin_.size()) / n_.chains;  // kin_ and zdelta_ per chain
  return new_cost < old_cost && double(in_cols) * n <= room && double(n_.rows) * n <= room;
}

template <class T>
void SteinStatistics<T>::observe(int l, const std::vector<std::uint8_t>* alive) {
  auto& be = model_.backend();
  // l = L + 1 is the readout (fcn): its pre-activation is f, its error signal d(beta L)/df.
  const bool out = l > n_.layers;
  const int n = out ? model_.spec().n_out : model_.spec().widths[l - 1];
  const long Rn = static_cast<long>(n_.rows) * n, block = static_cast<long>(n_.selected_rows) * n_.train_cols;
  // K_in(sel, T) = scale F[sel] F[T]^T (F: the layer's input features). At l = 1 they are the data, shared by every
  // chain: K_in is the same for the whole run, computed once into shared_kin_.
  const auto in = model_.layer_input(l);
  const bool shared = in.stride == 0;
  const T* Zs = sums_.select_rows(out ? model_.output() : model_.preactivation(l), n, Rn, sums_.gathered());
  const T* err = out ? model_.output_error() : model_.error_signal(l);
  if (!field_ && reassociate(n, in.cols, shared)) {
    // R_l = scale F[sel] (F[T]^T delta[T]) Z[sel]^T, the same sum multiplied in the cheaper order when the
    // widths are below the data (P^2 n + 2 P n_in n against P^3 + P^2 (n + n_in) per chain). kin_ holds
    // F[T]^T delta (n_in x n) and zdelta_ scale F[sel] (F[T]^T delta), laid out as Z is (ld rows).
    const T* Fs = sums_.select_rows(in.data, in.cols, in.stride, gathered_in_.data());
    const long A = static_cast<long>(in.cols) * n;
    be.gemm(T(1), matrices(in.data, n_.train_cols, in.cols, n_.rows, in.stride).t(),
            matrices(err, n_.train_cols, n, n_.rows, Rn), T(0), matrices(kin_.data(), in.cols, n, in.cols, A),
            n_.chains);
    be.gemm(T(in.scale), matrices(Fs, n_.selected_rows, in.cols, n_.rows, in.stride),
            matrices(kin_.data(), in.cols, n, in.cols, A), T(0),
            matrices(zdelta_.data(), n_.selected_rows, n, n_.rows, Rn), n_.chains);
    sums_.add_chain_outer(zdelta_.data(), n_.rows, Zs, n_.rows, n, Rn, T(1), stats_.R(l));
    if (stats_.preact || out) sums_.add_chain_outer(Zs, n_.rows, Zs, n_.rows, n, Rn, T(1.0 / n), stats_.Q(l));
    return;
  }
  if (!shared || !shared_kin_ready_) {
    const T* Fs = sums_.select_rows(in.data, in.cols, in.stride, gathered_in_.data());
    be.gemm(
        T(in.scale), matrices(Fs, n_.selected_rows, in.cols, n_.rows, in.stride),
        matrices(in.data, n_.train_cols, in.cols, n_.rows, in.stride).t(), T(0),
        matrices(shared ? shared_kin_.data() : kin_.data(), n_.selected_rows, n_.train_cols, n_.selected_rows, block),
        shared ? 1 : n_.chains);
    shared_kin_ready_ = shared_kin_ready_ || shared;
  }
  // (Z delta^T)(sel, T) per chain, then R_l = sum over T of K_in(a, mu) z(b).delta_mu: K_in (Z delta^T)^T.
  be.gemm(T(1), matrices(Zs, n_.selected_rows, n, n_.rows, Rn), matrices(err, n_.train_cols, n, n_.rows, Rn).t(), T(0),
          matrices(zdelta_.data(), n_.selected_rows, n_.train_cols, n_.selected_rows, block), n_.chains);
  if (shared) {
    // sum_c K_in B_c^T = K_in (sum_c B_c)^T: each group's Z delta^T summed (a GEMM against ones), then one GEMM.
    const int cg = n_.chains / n_.groups;
    const int bl = static_cast<int>(block);
    be.gemm(T(1), matrices(zdelta_.data(), bl, cg, bl, cg * block), matrix(ones_.data(), cg, 1, cg), T(0),
            matrices(zsum_.data(), bl, 1, bl, block), n_.groups);
    sums_.add_group_outer(matrix(shared_kin_.data(), n_.selected_rows, n_.train_cols, n_.selected_rows),
                          matrices(zsum_.data(), n_.selected_rows, n_.train_cols, n_.selected_rows, block), T(1),
                          stats_.R(l));
  } else {
    sums_.add_chain_outer(kin_.data(), n_.selected_rows, zdelta_.data(), n_.selected_rows, n_.train_cols, block, T(1),
                          stats_.R(l));
  }
  if (stats_.preact || out) sums_.add_chain_outer(Zs, n_.rows, Zs, n_.rows, n, Rn, T(1.0 / n), stats_.Q(l));
  if (field_ && !out) {
    const T* Fs = sums_.select_rows(in.data, in.cols, in.stride, gathered_in_.data());  // re-gathered if not there
    typename FieldAccumulator<T>::Layer x{l,
                                          n,
                                          shared ? shared_kin_.data() : kin_.data(),
                                          shared ? 0 : block,
                                          err,
                                          Zs,
                                          n_.rows,
                                          Rn,
                                          Fs,
                                          in.cols,
                                          n_.rows,
                                          in.stride,
                                          in.scale};
    field_->add(x, alive, sums_.sum(stats_.CF(l)), sums_.sum(stats_.CF2(l)));
  }
}

template class SteinStatistics<float>;
template class SteinStatistics<double>;

}  // namespace fwmc
