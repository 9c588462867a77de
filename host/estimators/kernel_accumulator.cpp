#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "fwmc/errors.hpp"
#include "fwmc/kernel_accumulator.hpp"

#include "host/estimators/field_accumulator.hpp"

namespace fwmc {

std::vector<std::vector<double>> Traces::per_chain(std::size_t k) const {
  std::vector<std::vector<double>> out(chains, std::vector<double>(draws));
  for (long d = 0; d < draws; ++d)
    for (int c = 0; c < chains; ++c) out[c][d] = values[k][d * chains + c];
  return out;
}

std::vector<std::string> trace_names(int L) {
  std::vector<std::string> n = {"U", "loss"};
  for (int l = 1; l <= L; ++l) n.push_back("trK" + std::to_string(l) + "Phi");
  return n;
}

std::vector<double> kernel_order(const std::vector<double>& raw, int groups, int N, int D, bool diag) {
  const std::size_t R = static_cast<std::size_t>(N) * D, per = diag ? R * N : R * R;
  std::vector<double> out(raw.size());
  if (diag) {
    const std::size_t NN = static_cast<std::size_t>(N) * N;
    for (int g = 0; g < groups; ++g)
      for (int i = 0; i < D; ++i)
        for (std::size_t ab = 0; ab < NN; ++ab)  // block i is column-major: (a, b) at a + N b
          out[g * per + ab * D + i] = raw[g * per + i * NN + (ab % N) * N + ab / N];
    return out;
  }
  for (int g = 0; g < groups; ++g)
    for (int a = 0; a < N; ++a)
      for (int b = 0; b < N; ++b)
        for (int i = 0; i < D; ++i)
          for (int j = 0; j < D; ++j)
            out[g * per + ((static_cast<std::size_t>(a) * N + b) * D + i) * D + j] =
                raw[g * per + (static_cast<std::size_t>(i) * N + a) + R * (static_cast<std::size_t>(j) * N + b)];
  return out;
}

KernelEstimate estimate_from_groups(const std::vector<double>& sums, int G, int N, int D,
                                    const std::vector<double>& counts, bool diag) {
  KernelEstimate e{KernelTensor(N, D, diag), KernelTensor(N, D, diag)};
  const std::size_t n = e.mean.v.size();
  double total = 0;
  int live = 0;
  for (int g = 0; g < G; ++g) {
    total += counts[g];
    live += counts[g] > 0;
  }
  for (std::size_t i = 0; i < n; ++i) {
    double m = 0;
    for (int g = 0; g < G; ++g) m += sums[g * n + i];
    m /= total;
    // Weighted spread of the group means; with equal counts this is sum (m_g - m)^2 / (G (G - 1)).
    double v = 0;
    for (int g = 0; g < G; ++g)
      if (counts[g] > 0) v += std::pow(counts[g] / total * (sums[g * n + i] / counts[g] - m), 2);
    e.mean.v[i] = m;
    e.mcse.v[i] = live > 1 ? std::sqrt(v * live / (live - 1)) : std::numeric_limits<double>::quiet_NaN();
    // A spread at the rounding level of the mean is no spread (an exact estimator, e.g. Stein at beta = 0): 0, so
    // that z-scores skip the entry instead of dividing by rounding noise.
    if (e.mcse.v[i] <= 64 * std::numeric_limits<double>::epsilon() * std::abs(m)) e.mcse.v[i] = 0;
  }
  return e;
}

Statistics::Statistics(const ModelSpec& m, bool with_stein)
    : layers(m.depth()),
      stein(with_stein),
      preact(with_stein && m.activation != Activation::linear),
      readout(with_stein && m.positions() == 1),
      field(with_stein && m.activation != Activation::linear && m.positions() == 1) {
  for (int l = 1; l <= layers; ++l) slots.push_back({Kind::K, l});
  if (!stein) return;
  for (int l = 1; l <= layers; ++l) slots.push_back({Kind::R, l});
  if (preact)
    for (int l = 1; l <= layers; ++l) slots.push_back({Kind::Q, l});
  if (readout) {
    slots.push_back({Kind::R, layers + 1});
    slots.push_back({Kind::Q, layers + 1});
  }
  if (field)
    for (const Kind k : {Kind::CF, Kind::K2, Kind::CF2})
      for (int l = 1; l <= layers; ++l) slots.push_back({k, l});
}

int Statistics::index(Kind kind, int l) const {
  for (std::size_t k = 0; k < slots.size(); ++k)
    if (slots[k].kind == kind && slots[k].layer == l) return static_cast<int>(k);
  return -1;
}

std::string Statistics::name(int k) const {
  const Slot& s = slots[k];
  const std::string l = s.layer > layers ? "out" : std::to_string(s.layer);
  switch (s.kind) {
    case Kind::K:
      return "sums" + l;
    case Kind::R:
      return "stein_R" + l;
    case Kind::Q:
      return "stein_Q" + l;
    case Kind::CF:
      return "stein_CF" + l;
    case Kind::K2:
      return "squares_K" + l;
    default:
      return "squares_CF" + l;
  }
}

template <class T>
KernelAccumulator<T>::KernelAccumulator(FeatureModel<T>& model, int groups, const Eigen::MatrixXd& phi,
                                        const KernelSelection& sel, bool stein, const SteinFieldData* field)
    : model_(model),
      stats_(model.spec(), stein),
      G_(groups),
      C_(model.chains()),
      N_(model.N()),
      P_(model.P()),
      L_(model.spec().depth()),
      D_(model.positions()),
      R_(model.rows()),
      M_(sel.count(model.N())),
      Rs_(model.positions() * sel.count(model.N())),
      Tc_(model.positions() > 1 ? model.rows() : model.P()),
      diag_(sel.diagonal && model.positions() > 1),
      gather_(!sel.inputs.empty()) {
  auto& be = model.backend();
  std::vector<T> ph(static_cast<std::size_t>(P_) * P_);
  for (int j = 0; j < P_; ++j)
    for (int i = 0; i < P_; ++i) ph[i + static_cast<std::size_t>(j) * P_] = static_cast<T>(phi(i, j));
  phi_ = Buffer<T, T>(be, ph.size());
  phi_.upload(ph);
  int wmax = 0;
  for (int w : model.spec().widths) wmax = std::max(wmax, w);
  const std::size_t entries = static_cast<std::size_t>(D_) * M_ * M_ * (diag_ ? 1 : D_);
  kscratch_ = Buffer<T, T>(be, G_ * entries);
  phiH_ = Buffer<T, T>(be, static_cast<std::size_t>(C_) * P_ * D_ * wmax);
  for (int k = 0; k < stats_.count(); ++k) acc_.emplace_back(be, G_ * entries);
  if (gather_) {
    std::vector<int> rows(R_, 0);
    for (int i = 0; i < D_; ++i)
      for (int a = 0; a < M_; ++a) rows[i * M_ + a] = i * N_ + sel.inputs[a];
    rows_ = Buffer<int, T>(be, rows.size());
    rows_.upload(rows);
    gathered_ = Buffer<T, T>(be, static_cast<std::size_t>(C_) * R_ * std::max(wmax, model.spec().n_out));
  }
  if (stein) {
    // Per chain: the kernel of the layer's input (selected rows x training side) and Z delta^T (the same shape).
    kin_ = Buffer<T, T>(be, static_cast<std::size_t>(C_) * Rs_ * Tc_);
    zdelta_ = Buffer<T, T>(be, kin_.size());
    shared_kin_ = Buffer<T, T>(be, static_cast<std::size_t>(Rs_) * Tc_);
    zsum_ = Buffer<T, T>(be, static_cast<std::size_t>(G_) * Rs_ * Tc_);
    ones_ = Buffer<T, T>(be, C_ / G_);
    ones_.upload(std::vector<T>(C_ / G_, T(1)));
    int in_max = 0;
    for (int l = 1; l <= L_ + 1; ++l)
      in_max = std::max(in_max, model.spec().window_size() * model.spec().layer_width(l - 1));
    if (gather_) gathered_in_ = Buffer<T, T>(be, static_cast<std::size_t>(C_) * R_ * in_max);
  }
  if (stats_.field) {
    if (!field || field->empty())
      throw std::logic_error("KernelAccumulator: a nonlinear fcn's Stein statistics need the field's tables");
    field_ = std::make_unique<FieldAccumulator<T>>(be, *field, model.spec(), C_, G_, Rs_, Tc_, wmax);
  }
  dots_ = Buffer<double, T>(be, C_);
  counts_.assign(G_, 0.0);
  traces_.chains = C_;
  traces_.names = trace_names(L_);
  traces_.values.resize(traces_.names.size());
}

template <class T>
KernelAccumulator<T>::~KernelAccumulator() = default;

template <class T>
const T* KernelAccumulator<T>::select_rows(const T* src, int cols, long stride, T* buf) {
  if (!gather_) return src;
  // Rows i*N + a (a selected) to the top of each chain's block, as im2col with one input, R positions, window 1.
  model_.backend().im2col(1, R_, 1, cols, stride ? C_ : 1, rows_.data(), src, buf);
  return buf;
}

template <class T>
void KernelAccumulator<T>::add_group_outer(const MatrixBatch<const T>& A, const MatrixBatch<const T>& B, T alpha,
                                           int stat) {
  auto& be = model_.backend();
  if (diag_) {
    // One (M x M) product per position i and group g, from the rows i*M + a: D calls batched over the groups, or,
    // when there are more positions than groups, G calls batched over the positions (the same products).
    const long MM = static_cast<long>(M_) * M_;
    if (D_ <= G_) {
      for (int i = 0; i < D_; ++i)
        be.gemm(alpha, A.row_block(i * M_, M_), B.row_block(i * M_, M_).t(), T(0),
                matrices(kscratch_.data() + i * MM, M_, M_, M_, D_ * MM), G_);
    } else {
      for (int g = 0; g < G_; ++g)
        be.gemm(alpha, A.item(g).row_block(0, M_).with_stride(M_), B.item(g).row_block(0, M_).with_stride(M_).t(), T(0),
                matrices(kscratch_.data() + g * D_ * MM, M_, M_, M_, MM), D_);
    }
  } else {
    be.gemm(alpha, A, B.t(), T(0), packed(kscratch_.data(), Rs_, Rs_), G_);
  }
  be.accumulate(static_cast<long>(kscratch_.size()), kscratch_.data(), 1.0, acc_[stat].data());
}

template <class T>
void KernelAccumulator<T>::add_chain_outer(const T* A, int lda, const T* B, int ldb, int cols, long stride, T alpha,
                                           int stat) {
  // A group's chains side by side form one (rows x cg cols) matrix, so its sum is one GEMM per group.
  const int cg = C_ / G_;
  add_group_outer(matrices(A, Rs_, cg * cols, lda, cg * stride), matrices(B, Rs_, cg * cols, ldb, cg * stride), alpha,
                  stat);
}

template <class T>
void KernelAccumulator<T>::observe_stein(int l) {
  auto& be = model_.backend();
  // l = L + 1 is the readout (fcn): its pre-activation is f, its error signal d(beta L)/df.
  const bool out = l > L_;
  const int n = out ? model_.spec().n_out : model_.spec().widths[l - 1];
  const long Rn = static_cast<long>(R_) * n, block = static_cast<long>(Rs_) * Tc_;
  // K_in(sel, T) = scale F[sel] F[T]^T (F: the layer's input features). At l = 1 they are the data, shared by every
  // chain: K_in is the same for the whole run, computed once into shared_kin_.
  const auto in = model_.layer_input(l);
  const bool shared = in.stride == 0;
  if (!shared || !shared_kin_ready_) {
    const T* Fs = select_rows(in.data, in.cols, in.stride, gathered_in_.data());
    be.gemm(T(in.scale), matrices(Fs, Rs_, in.cols, R_, in.stride), matrices(in.data, Tc_, in.cols, R_, in.stride).t(),
            T(0), matrices(shared ? shared_kin_.data() : kin_.data(), Rs_, Tc_, Rs_, block), shared ? 1 : C_);
    shared_kin_ready_ = shared_kin_ready_ || shared;
  }
  // (Z delta^T)(sel, T) per chain, then R_l = sum over T of K_in(a, mu) z(b).delta_mu: K_in (Z delta^T)^T.
  const T* Zs = select_rows(out ? model_.output() : model_.preactivation(l), n, Rn, gathered_.data());
  const T* err = out ? model_.output_error() : model_.error_signal(l);
  be.gemm(T(1), matrices(Zs, Rs_, n, R_, Rn), matrices(err, Tc_, n, R_, Rn).t(), T(0),
          matrices(zdelta_.data(), Rs_, Tc_, Rs_, block), C_);
  if (shared) {
    // sum_c K_in B_c^T = K_in (sum_c B_c)^T: each group's Z delta^T summed (a GEMM against ones), then one GEMM.
    const int cg = C_ / G_;
    const int bl = static_cast<int>(block);
    be.gemm(T(1), matrices(zdelta_.data(), bl, cg, bl, cg * block), matrix(ones_.data(), cg, 1, cg), T(0),
            matrices(zsum_.data(), bl, 1, bl, block), G_);
    add_group_outer(matrix(shared_kin_.data(), Rs_, Tc_, Rs_), matrices(zsum_.data(), Rs_, Tc_, Rs_, block), T(1),
                    stats_.R(l));
  } else {
    add_chain_outer(kin_.data(), Rs_, zdelta_.data(), Rs_, Tc_, block, T(1), stats_.R(l));
  }
  if (stats_.preact || out) add_chain_outer(Zs, R_, Zs, R_, n, Rn, T(1.0 / n), stats_.Q(l));
  if (field_ && !out) {
    const T* Fs = select_rows(in.data, in.cols, in.stride, gathered_in_.data());  // still there: re-gathered if not
    typename FieldAccumulator<T>::Layer x{l,
                                          n,
                                          shared ? shared_kin_.data() : kin_.data(),
                                          shared ? 0 : block,
                                          err,
                                          Zs,
                                          R_,
                                          Rn,
                                          Fs,
                                          in.cols,
                                          R_,
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
  const int cg = C_ / G_;
  for (int c = 0; c < C_; ++c) {
    const bool live = !alive || (*alive)[c];
    counts_[c / cg] += live;
    if (live) continue;
    // A dropped chain adds nothing: its activations and error signals are zeroed before the GEMMs, and its traces
    // read NaN.
    u[c] = loss[c] = std::numeric_limits<double>::quiet_NaN();
    model_.clear_chain(c);
  }
  traces_.values[0].insert(traces_.values[0].end(), u.begin(), u.end());
  traces_.values[1].insert(traces_.values[1].end(), loss.begin(), loss.end());
  for (int l = 1; l <= L_; ++l) {
    const int n = model_.spec().widths[l - 1];
    const T* H = model_.hidden(l);
    // Sum over a group's chains of H_c H_c^T / n over the selected rows.
    const T* src = select_rows(H, n, static_cast<long>(R_) * n, gathered_.data());
    add_chain_outer(src, R_, src, R_, n, static_cast<long>(R_) * n, T(1.0 / n), stats_.K(l));
    if (field_) field_->add_plain_squares(src, R_, static_cast<long>(R_) * n, n, acc_[stats_.K2(l)].data());
    if (stats_.stein) stein_time([&] { observe_stein(l); });
    // tr(K_l Phi) (cnn: of the spatial trace) = (1/(D n)) sum <H_c[:P], Phi H_c[:P]>, H_c viewed as N x (D n).
    const int cols = D_ * n;
    be.gemm(T(1), matrix(phi_.data(), P_, P_, P_), matrices(H, P_, cols, N_, static_cast<long>(R_) * n), T(0),
            packed(phiH_.data(), P_, cols), C_);
    be.chain_dot(P_, cols, C_, H, N_, static_cast<long>(R_) * n, phiH_.data(), P_, static_cast<long>(P_) * cols,
                 dots_.data());
    std::vector<double> d = dots_.download();
    for (int c = 0; c < C_; ++c) d[c] = alive && !(*alive)[c] ? std::numeric_limits<double>::quiet_NaN() : d[c] / cols;
    traces_.values[1 + l].insert(traces_.values[1 + l].end(), d.begin(), d.end());
  }
  if (stats_.readout) stein_time([&] { observe_stein(L_ + 1); });
  ++draws_;
  traces_.draws = draws_;
}

template <class T>
void KernelAccumulator<T>::save(CheckpointData& ck, const std::string& prefix) const {
  for (int k = 0; k < stats_.count(); ++k) ck.put(prefix + stats_.name(k), acc_[k].download());
  for (std::size_t k = 0; k < traces_.values.size(); ++k)
    ck.put(prefix + "trace" + std::to_string(k), traces_.values[k]);
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
  if (counts_.size() != static_cast<std::size_t>(G_))
    throw RuntimeError("checkpoint: group counts do not match this run");
  for (std::size_t k = 0; k < traces_.values.size(); ++k) {
    auto v = ck.get<double>(prefix + "trace" + std::to_string(k));
    if (v.size() != static_cast<std::size_t>(draws_) * C_)
      throw RuntimeError("checkpoint: traces do not match this run");
    traces_.values[k].assign(v.begin(), v.end());
  }
  traces_.draws = draws_;
}

template <class T>
void KernelAccumulator<T>::reserve_draws(long draws) {
  for (auto& v : traces_.values) v.reserve(static_cast<std::size_t>(draws) * C_);
}

template <class T>
std::vector<KernelEstimate> KernelAccumulator<T>::estimates() const {
  std::vector<KernelEstimate> out;
  for (int l = 1; l <= L_; ++l)
    out.push_back(
        estimate_from_groups(kernel_order(acc_[l - 1].download(), G_, M_, D_, diag_), G_, M_, D_, counts_, diag_));
  return out;
}

template class KernelAccumulator<float>;
template class KernelAccumulator<double>;

}  // namespace fwmc
