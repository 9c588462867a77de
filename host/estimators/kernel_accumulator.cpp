// A draw through the accumulator's parts: the plain kernels into the group sums, the Stein statistics, the traces;
// and the checkpoint state.
#include <algorithm>
#include <chrono>
#include <limits>

#include "fwmc/errors.hpp"
#include "fwmc/kernel_accumulator.hpp"

#include "host/estimators/group_outer_sums.hpp"
#include "host/estimators/stein_statistics.hpp"

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
  phiH_ = Buffer<T, T>(be, static_cast<std::size_t>(n_.chains) * n_.train * n_.positions * wmax);
  std::vector<int> rows;
  if (n_.gather) {
    rows.assign(n_.rows, 0);
    for (int i = 0; i < n_.positions; ++i)
      for (int a = 0; a < n_.selected; ++a) rows[i * n_.selected + a] = i * n_.inputs + sel.inputs[a];
  }
  sums_ = std::make_unique<GroupOuterSums<T>>(be, n_, stats_.count(), rows, std::max(wmax, model.spec().n_out));
  if (stein) stein_ = std::make_unique<SteinStatistics<T>>(model, n_, stats_, *sums_, field, wmax);
  dots_ = Buffer<double, T>(be, n_.chains);
  counts_.assign(n_.groups, 0.0);
  traces_.chains = n_.chains;
  traces_.names = trace_names(n_.layers);
  traces_.values.resize(traces_.names.size());
}

template <class T>
KernelAccumulator<T>::~KernelAccumulator() = default;

template <class T>
std::vector<double> KernelAccumulator<T>::group_sums(int k) const {
  return sums_->buffer(k).download();
}

template <class T>
void KernelAccumulator<T>::observe(const T* theta, const std::vector<double>& U,
                                   const std::vector<std::uint8_t>* alive) {
  auto& be = model_.backend();
  std::vector<double> loss, u = U;
  model_.forward(theta, &loss);
  const auto stein_time = [&](auto&& f) {  // the Stein statistics' share of a run (the CPU's wall time)
    const auto t0 = std::chrono::steady_clock::now();
    f();
    stein_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  if (stein_) stein_time([&] { model_.backward(theta, nullptr, true); });
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
    const T* src = sums_->select_rows(H, n, static_cast<long>(n_.rows) * n, sums_->gathered());
    sums_->add_chain_outer(src, n_.rows, src, n_.rows, n, static_cast<long>(n_.rows) * n, T(1.0 / n), stats_.K(l));
    if (stein_) {
      stein_->add_plain_squares(src, static_cast<long>(n_.rows) * n, n, l);
      stein_time([&] { stein_->observe(l, alive); });
    }
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
  if (stats_.readout) stein_time([&] { stein_->observe(n_.layers + 1, alive); });
  ++draws_;
  traces_.draws = draws_;
}

template <class T>
void KernelAccumulator<T>::save(CheckpointData& ck, const std::string& prefix) const {
  for (int k = 0; k < stats_.count(); ++k) ck.put(prefix + stats_.name(k), sums_->buffer(k).download());
  traces_.save(ck, prefix);
  ck.put_value(prefix + "draws", draws_);
  ck.put(prefix + "counts", counts_);
  ck.put_value(prefix + "stein_s", stein_s_);
}

template <class T>
void KernelAccumulator<T>::load(const CheckpointData& ck, const std::string& prefix) {
  for (int k = 0; k < stats_.count(); ++k) {
    const auto v = ck.get<double>(prefix + stats_.name(k));
    if (v.size() != sums_->buffer(k).size()) throw RuntimeError("checkpoint: kernel sums do not match this run");
    sums_->buffer(k).upload(v);
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
        estimate_from_groups(kernel_order(group_sums(l - 1), n_.groups, n_.selected, n_.positions, n_.diagonal),
                             n_.groups, n_.selected, n_.positions, counts_, n_.diagonal));
  return out;
}

template class KernelAccumulator<float>;
template class KernelAccumulator<double>;

}  // namespace fwmc
