// Each draw's statistics summed per chain group (plain kernels, Stein statistics), the traces, checkpoints.
#include <algorithm>
#include <chrono>
#include <limits>

#include "fwmc/errors.hpp"
#include "fwmc/kernel_accumulator.hpp"

#include "host/estimators/field_accumulator.hpp"

namespace fwmc {

template <class T>
KernelAccumulator<T>::KernelAccumulator(FeatureModel<T>& model, int groups, const Eigen::MatrixXd& phi,
                                        const KernelSelection& sel, bool stein, const SteinFieldData* field)
    : model_(model),
      stats_(model.spec(), stein),
      n_{groups,
         model.chains(),
         model.N(),
         model.P(),
         model.spec().depth(),
         model.positions(),
         model.rows(),
         sel.count(model.N()),
         model.positions() * sel.count(model.N()),
         model.positions() > 1 ? model.rows() : model.P(),
         sel.diagonal && model.positions() > 1,
         !sel.inputs.empty()} {
  auto& be = model.backend();
  std::vector<T> ph(static_cast<std::size_t>(n_.train) * n_.train);
  for (int j = 0; j < n_.train; ++j)
    for (int i = 0; i < n_.train; ++i) ph[i + static_cast<std::size_t>(j) * n_.train] = static_cast<T>(phi(i, j));
  phi_ = Buffer<T, T>(be, ph.size());
  phi_.upload(ph);
  int wmax = 0;
  for (int w : model.spec().widths) wmax = std::max(wmax, w);
  const std::size_t entries =
      static_cast<std::size_t>(n_.positions) * n_.selected * n_.selected * (n_.diagonal ? 1 : n_.positions);
  kscratch_ = Buffer<T, T>(be, n_.groups * entries);
  phiH_ = Buffer<T, T>(be, static_cast<std::size_t>(n_.chains) * n_.train * n_.positions * wmax);
  for (int k = 0; k < stats_.count(); ++k) acc_.emplace_back(be, n_.groups * entries);
  if (n_.gather) {
    std::vector<int> rows(n_.rows, 0);
    for (int i = 0; i < n_.positions; ++i)
      for (int a = 0; a < n_.selected; ++a) rows[i * n_.selected + a] = i * n_.inputs + sel.inputs[a];
    rows_ = Buffer<int, T>(be, rows.size());
    rows_.upload(rows);
    gathered_ = Buffer<T, T>(be, static_cast<std::size_t>(n_.chains) * n_.rows * std::max(wmax, model.spec().n_out));
  }
  if (stein) {
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
  }
  if (stats_.field) {
    if (!field || field->empty())
      throw std::logic_error("KernelAccumulator: a nonlinear fcn's Stein statistics need the field's tables");
    field_ = std::make_unique<FieldAccumulator<T>>(be, *field, model.spec(), n_.chains, n_.groups, n_.selected_rows,
                                                   n_.train_cols, wmax);
  }
  dots_ = Buffer<double, T>(be, n_.chains);
  counts_.assign(n_.groups, 0.0);
  traces_.chains = n_.chains;
  traces_.names = trace_names(n_.layers);
  traces_.values.resize(traces_.names.size());
}

template <class T>
KernelAccumulator<T>::~KernelAccumulator() = default;

template <class T>
const T* KernelAccumulator<T>::select_rows(const T* src, int cols, long stride, T* buf) {
  if (!n_.gather) return src;
  // Rows i*N + a (a selected) to the top of each chain's block, as im2col with one input, R positions, window 1.
  model_.backend().im2col(1, n_.rows, 1, cols, stride ? n_.chains : 1, rows_.data(), src, buf);
  return buf;
}

template <class T>
void KernelAccumulator<T>::add_group_outer(const MatrixBatch<const T>& A, const MatrixBatch<const T>& B, T alpha,
                                           int stat) {
  auto& be = model_.backend();
  if (n_.diagonal) {
    // One (M x M) product per position i and group g, from the rows i*M + a: D calls batched over the groups, or,
    // when there are more positions than groups, G calls batched over the positions (the same products).
    const long MM = static_cast<long>(n_.selected) * n_.selected;
    if (n_.positions <= n_.groups) {
      for (int i = 0; i < n_.positions; ++i)
        be.gemm(alpha, A.row_block(i * n_.selected, n_.selected), B.row_block(i * n_.selected, n_.selected).t(), T(0),
                matrices(kscratch_.data() + i * MM, n_.selected, n_.selected, n_.selected, n_.positions * MM),
                n_.groups);
    } else {
      for (int g = 0; g < n_.groups; ++g)
        be.gemm(alpha, A.item(g).row_block(0, n_.selected).with_stride(n_.selected),
                B.item(g).row_block(0, n_.selected).with_stride(n_.selected).t(), T(0),
                matrices(kscratch_.data() + g * n_.positions * MM, n_.selected, n_.selected, n_.selected, MM),
                n_.positions);
    }
  } else {
    be.gemm(alpha, A, B.t(), T(0), packed(kscratch_.data(), n_.selected_rows, n_.selected_rows), n_.groups);
  }
  be.accumulate(static_cast<long>(kscratch_.size()), kscratch_.data(), 1.0, acc_[stat].data());
}

template <class T>
void KernelAccumulator<T>::add_chain_outer(const T* A, int lda, const T* B, int ldb, int cols, long stride, T alpha,
                                           int stat) {
  // A group's chains side by side form one (rows x cg cols) matrix, so its sum is one GEMM per group.
  const int cg = n_.chains / n_.groups;
  add_group_outer(matrices(A, n_.selected_rows, cg * cols, lda, cg * stride),
                  matrices(B, n_.selected_rows, cg * cols, ldb, cg * stride), alpha, stat);
}

template <class T>
bool KernelAccumulator<T>::reassociate(int n, int in_cols, bool shared) const {
  const double sel = n_.selected_rows, T_ = n_.train_cols, cg = double(n_.chains) / n_.groups;
  const double old_cost = (shared ? 0.0 : sel * T_ * in_cols) + sel * T_ * n + sel * sel * T_ / (shared ? cg : 1.0);
  const double new_cost = T_ * in_cols * n + sel * in_cols * n + sel * sel * n;
  const double room = static_cast<double>(kin_.size()) / n_.chains;  // kin_ and zdelta_ per chain
  return new_cost < old_cost && double(in_cols) * n <= room && double(n_.rows) * n <= room;
}

template <class T>
void KernelAccumulator<T>::observe_stein(int l) {
  auto& be = model_.backend();
  // l = L + 1 is the readout (fcn): its pre-activation is f, its error signal d(beta L)/df.
  const bool out = l > n_.layers;
  const int n = out ? model_.spec().n_out : model_.spec().widths[l - 1];
  const long Rn = static_cast<long>(n_.rows) * n, block = static_cast<long>(n_.selected_rows) * n_.train_cols;
  // K_in(sel, T) = scale F[sel] F[T]^T (F: the layer's input features). At l = 1 they are the data, shared by every
  // chain: K_in is the same for the whole run, computed once into shared_kin_.
  const auto in = model_.layer_input(l);
  const bool shared = in.stride == 0;
  const T* Zs = select_rows(out ? model_.output() : model_.preactivation(l), n, Rn, gathered_.data());
  const T* err = out ? model_.output_error() : model_.error_signal(l);
  if (!field_ && reassociate(n, in.cols, shared)) {
    // R_l = scale F[sel] (F[T]^T delta[T]) Z[sel]^T, the same sum multiplied in the cheaper order when the
    // widths are below the data (P^2 n + 2 P n_in n against P^3 + P^2 (n + n_in) per chain). kin_ holds
    // F[T]^T delta (n_in x n) and zdelta_ scale F[sel] (F[T]^T delta), laid out as Z is (ld rows).
    const T* Fs = select_rows(in.data, in.cols, in.stride, gathered_in_.data());
    const long A = static_cast<long>(in.cols) * n;
    be.gemm(T(1), matrices(in.data, n_.train_cols, in.cols, n_.rows, in.stride).t(),
            matrices(err, n_.train_cols, n, n_.rows, Rn), T(0), matrices(kin_.data(), in.cols, n, in.cols, A),
            n_.chains);
    be.gemm(T(in.scale), matrices(Fs, n_.selected_rows, in.cols, n_.rows, in.stride),
            matrices(kin_.data(), in.cols, n, in.cols, A), T(0),
            matrices(zdelta_.data(), n_.selected_rows, n, n_.rows, Rn), n_.chains);
    add_chain_outer(zdelta_.data(), n_.rows, Zs, n_.rows, n, Rn, T(1), stats_.R(l));
    if (stats_.preact || out) add_chain_outer(Zs, n_.rows, Zs, n_.rows, n, Rn, T(1.0 / n), stats_.Q(l));
    return;
  }
  if (!shared || !shared_kin_ready_) {
    const T* Fs = select_rows(in.data, in.cols, in.stride, gathered_in_.data());
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
    add_group_outer(matrix(shared_kin_.data(), n_.selected_rows, n_.train_cols, n_.selected_rows),
                    matrices(zsum_.data(), n_.selected_rows, n_.train_cols, n_.selected_rows, block), T(1),
                    stats_.R(l));
  } else {
    add_chain_outer(kin_.data(), n_.selected_rows, zdelta_.data(), n_.selected_rows, n_.train_cols, block, T(1),
                    stats_.R(l));
  }
  if (stats_.preact || out) add_chain_outer(Zs, n_.rows, Zs, n_.rows, n, Rn, T(1.0 / n), stats_.Q(l));
  if (field_ && !out) {
    const T* Fs = select_rows(in.data, in.cols, in.stride, gathered_in_.data());  // still there: re-gathered if not
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
    field_->add(x, alive_, acc_[stats_.CF(l)].data(), acc_[stats_.CF2(l)].data());
  }
}

template <class T>
void KernelAccumulator<T>::observe(const T* theta, const std::vector<double>& U,
                                   const std::vector<std::uint8_t>* alive) {
  auto& be = model_.backend();
  alive_ = alive;
  std::vector<double> loss, u = U;
  model_.forward(theta, &loss);
  const auto stein_time = [&](auto&& f) {  // the Stein statistics' share of a run (the CPU's wall time)
    const auto t0 = std::chrono::steady_clock::now();
    f();
    stein_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  if (stats_.stein) stein_time([&] { model_.backward(theta, nullptr, true); });
  const int cg = n_.chains / n_.groups;
  for (int c = 0; c < n_.chains; ++c) {
    const bool live = !alive || (*alive)[c];
    counts_[c / cg] += live;
    if (live) continue;
    // A dropped chain adds nothing: its activations and error signals are zeroed before the GEMMs, and its traces
    // read NaN.
    u[c] = loss[c] = std::numeric_limits<double>::quiet_NaN();
    model_.clear_chain(c);
  }
  traces_.append(0, u);
  traces_.append(1, loss);
  for (int l = 1; l <= n_.layers; ++l) {
    const int n = model_.spec().widths[l - 1];
    const T* H = model_.hidden(l);
    // Sum over a group's chains of H_c H_c^T / n over the selected rows.
    const T* src = select_rows(H, n, static_cast<long>(n_.rows) * n, gathered_.data());
    add_chain_outer(src, n_.rows, src, n_.rows, n, static_cast<long>(n_.rows) * n, T(1.0 / n), stats_.K(l));
    if (field_) field_->add_plain_squares(src, n_.rows, static_cast<long>(n_.rows) * n, n, acc_[stats_.K2(l)].data());
    if (stats_.stein) stein_time([&] { observe_stein(l); });
    // tr(K_l Phi) (cnn: of the spatial trace) = (1/(D n)) sum <H_c[:P], Phi H_c[:P]>, H_c viewed as N x (D n).
    const int cols = n_.positions * n;
    be.gemm(T(1), matrix(phi_.data(), n_.train, n_.train, n_.train),
            matrices(H, n_.train, cols, n_.inputs, static_cast<long>(n_.rows) * n), T(0),
            packed(phiH_.data(), n_.train, cols), n_.chains);
    be.chain_dot(n_.train, cols, n_.chains, H, n_.inputs, static_cast<long>(n_.rows) * n, phiH_.data(), n_.train,
                 static_cast<long>(n_.train) * cols, dots_.data());
    std::vector<double> d = dots_.download();
    for (int c = 0; c < n_.chains; ++c)
      d[c] = alive && !(*alive)[c] ? std::numeric_limits<double>::quiet_NaN() : d[c] / cols;
    traces_.append(1 + l, d);
  }
  if (stats_.readout) stein_time([&] { observe_stein(n_.layers + 1); });
  ++draws_;
  traces_.draws = draws_;
}

template <class T>
void KernelAccumulator<T>::save(CheckpointData& ck, const std::string& prefix) const {
  for (int k = 0; k < stats_.count(); ++k) ck.put(prefix + stats_.name(k), acc_[k].download());
  traces_.save(ck, prefix);
  ck.put_value(prefix + "draws", draws_);
  ck.put(prefix + "counts", counts_);
  ck.put_value(prefix + "stein_s", stein_s_);
}

template <class T>
void KernelAccumulator<T>::load(const CheckpointData& ck, const std::string& prefix) {
  for (int k = 0; k < stats_.count(); ++k) {
    const auto v = ck.get<double>(prefix + stats_.name(k));
    if (v.size() != acc_[k].size()) throw RuntimeError("checkpoint: kernel sums do not match this run");
    acc_[k].upload(v);
  }
  draws_ = ck.get_value<long>(prefix + "draws");
  stein_s_ = ck.has(prefix + "stein_s") ? ck.get_value<double>(prefix + "stein_s") : 0.0;
  counts_ = ck.get<double>(prefix + "counts");
  if (counts_.size() != static_cast<std::size_t>(n_.groups))
    throw RuntimeError("checkpoint: group counts do not match this run");
  traces_.load(ck, prefix, draws_);
}

template <class T>
void KernelAccumulator<T>::reserve_draws(long draws) {
  traces_.reserve(draws);
}

template <class T>
std::vector<KernelEstimate> KernelAccumulator<T>::estimates() const {
  std::vector<KernelEstimate> out;
  for (int l = 1; l <= n_.layers; ++l)
    out.push_back(
        estimate_from_groups(kernel_order(acc_[l - 1].download(), n_.groups, n_.selected, n_.positions, n_.diagonal),
                             n_.groups, n_.selected, n_.positions, counts_, n_.diagonal));
  return out;
}

template class KernelAccumulator<float>;
template class KernelAccumulator<double>;

}  // namespace fwmc
