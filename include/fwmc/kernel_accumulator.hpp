// Turning draws into answers: each draw's statistics (Statistics: the kernels, and the Stein estimators') summed
// per chain group on the backend, and the per-chain traces (Traces); the estimates come from the group sums
// (group_estimate.hpp). The parts: Layout (sizes, named), the plain sums, the Stein statistics (observe_stein and
// FieldAccumulator), the traces, and the checkpoint state (save/load).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "fwmc/checkpoint.hpp"
#include "fwmc/feature_model.hpp"
#include "fwmc/group_estimate.hpp"
#include "fwmc/statistics.hpp"
#include "fwmc/stein_field.hpp"
#include "fwmc/traces.hpp"

namespace fwmc {

template <class T>
class FieldAccumulator;

template <class T>
class KernelAccumulator {
 public:
  // phi (P x P) is used for the tr(K_l Phi) traces (for cnn: of the spatial trace of K_l); `sel` picks the
  // kernel entries accumulated (the traces always use every position of the training inputs).
  // stein: also accumulate the statistics of the Stein estimators (a backward pass per draw).
  // field: the conditional Stein field's tables, which a nonlinear fcn's Stein statistics need.
  KernelAccumulator(FeatureModel<T>& model, int groups, const Eigen::MatrixXd& phi, const KernelSelection& sel = {},
                    bool stein = false, const SteinFieldData* field = nullptr);
  ~KernelAccumulator();
  // Forward pass on theta, add every statistic to its group sum, record traces (U given by the sampler).
  // alive (per chain, optional): chains with 0 are left out (dropped chains; their traces read NaN).
  void observe(const T* theta, const std::vector<double>& U, const std::vector<std::uint8_t>* alive = nullptr);
  // Group sums, traces and the draw count, for checkpoints.
  void save(CheckpointData& ck, const std::string& prefix) const;
  void load(const CheckpointData& ck, const std::string& prefix);
  // Reserves the traces for this many draws (so that they do not grow by reallocation).
  void reserve_draws(long draws);
  std::vector<KernelEstimate> estimates() const;
  const Traces& traces() const { return traces_; }
  long draws() const { return draws_; }
  // Seconds spent on the Stein statistics (the backward pass and the estimators' GEMMs and field), this batch.
  double stein_seconds() const { return stein_s_; }
  // Raw per-group sums of statistic k (G x (D m)^2, or G x D m^2 for the diagonal, see kernel_order), for
  // merging chain batches.
  std::vector<double> group_sums(int k) const { return acc_[k].download(); }
  const Statistics& statistics() const { return stats_; }
  // Terms per group sum (chain-draws of live chains).
  const std::vector<double>& group_counts() const { return counts_; }

 private:
  // The sizes the accumulator works with, named once.
  struct Layout {
    int groups, chains, inputs, train, layers, positions;
    int rows;           // rows of a chain's activations: positions x inputs
    int selected;       // selected inputs M
    int selected_rows;  // positions x M
    int train_cols;     // columns of the training side of R: fcn P (rows a < P), cnn every row (D N)
    bool diagonal;      // spatial diagonal only
    bool gather;        // copy the selected rows into gathered_ first
  };
  FeatureModel<T>& model_;
  Statistics stats_;
  Layout n_;
  long draws_ = 0;
  double stein_s_ = 0;
  Buffer<T, T> phi_, kscratch_, phiH_, gathered_, gathered_in_, kin_, zdelta_;
  Buffer<T, T> shared_kin_, zsum_, ones_;  // layer 1's input kernel (fixed for the run); per-group sums of Z delta^T
  bool shared_kin_ready_ = false;
  Buffer<int, T> rows_;                 // row map of the gather: the selected rows i*N + a first
  std::vector<Buffer<double, T>> acc_;  // per statistic: G x entries
  Buffer<double, T> dots_;
  Traces traces_;
  std::vector<double> counts_;
  // The selected rows of every chain's (R x cols) matrix src (stride: per chain, 0 = shared): src itself, or
  // gathered into buf.
  const T* select_rows(const T* src, int cols, long stride, T* buf);
  // acc[stat] += per group g, alpha A_g B_g^T over the selected rows: A and B hold one (selected rows x k) matrix
  // per group (stride 0: one operand for every group).
  void add_group_outer(const MatrixBatch<const T>& A, const MatrixBatch<const T>& B, T alpha, int stat);
  // The same with A_g, B_g the group's chains side by side: each chain's (selected rows x cols) block, chains
  // `stride` apart, so the group's sum of A_c B_c^T is one GEMM.
  void add_chain_outer(const T* A, int lda, const T* B, int ldb, int cols, long stride, T alpha, int stat);
  // The Stein statistics of layer l from the model's last error_signals pass.
  // Whether a layer's R statistic (width n, n_in input features) is cheaper as scale F[sel] (F[T]^T delta) Z^T than as
  // K_in (Z delta^T)^T, and the per-chain buffers hold its intermediates.
  bool reassociate(int n, int in_cols, bool shared) const;
  void observe_stein(int l);
  std::unique_ptr<FieldAccumulator<T>> field_;        // nonlinear fcn with Stein: the conditional field's statistic
  const std::vector<std::uint8_t>* alive_ = nullptr;  // during observe: the chains still sampled
};

}  // namespace fwmc
