// Turning draws into answers: per-layer posterior mean kernels with MCSE from independent chain groups, and
// per-chain traces of invariant scalars for convergence diagnostics.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "fwmc/checkpoint.hpp"
#include "fwmc/feature_model.hpp"
#include "fwmc/kernel_tensor.hpp"
#include "fwmc/stein_field.hpp"

namespace fwmc {

struct KernelEstimate {
  KernelTensor mean, mcse;
};

// Per-chain scalar traces, draw-major: values[k][draw * chains + c].
struct Traces {
  int chains = 0;
  long draws = 0;
  std::vector<std::string> names;
  std::vector<std::vector<double>> values;
  // The series of trace k as one vector per chain.
  std::vector<std::vector<double>> per_chain(std::size_t k) const;
};

// Names of the traces a run records: U, loss, trK<l>Phi for l = 1..L.
std::vector<std::string> trace_names(int L);

// Reorders `groups` consecutive (D N x D N) column-major kernels (row i*N + a, column j*N + b) into KernelTensor
// order ((a*N + b)*D + i)*D + j. diag: the raw kernels are D blocks of (N x N), block i holding K(.,.)_ii, and
// the result is in the spatial-diagonal order (a*N + b)*D + i.
std::vector<double> kernel_order(const std::vector<double>& raw, int groups, int N, int D, bool diag = false);

// Group sums -> estimate and MCSE: groups are independent chains, so their spread is the error. counts[g] is the
// number of (chain, draw) terms in group g's sum (equal unless chains were dropped): the mean is sum / count over
// all groups, and the MCSE the spread of the group means weighted by their counts (groups with none are skipped).
KernelEstimate estimate_from_groups(const std::vector<double>& group_sums, int groups, int N, int D,
                                    const std::vector<double>& counts, bool diag = false);

// The per-draw tensors a run sums per chain group, as a list of named slots. For each layer l: the kernel K<l>
// always; with the Stein estimators (docs/theory.md 11) also R<l> (before symmetrisation) and, for nonlinear nets,
// the pre-activation kernel Q<l> (a linear net has Q_l = K_l); for fcn also the readout's R and Q (its
// "pre-activation" is f, so Q_out = f f^T / n_d), whose zero-mean C_out tracks the slow function-space
// fluctuations; and for nonlinear fcn the conditional field's per-draw estimate CF<l> (docs/theory.md 12), with
// the sums of squares of it and of the plain per-draw kernel (K2<l>, CF2<l>) for their per-draw spreads.
struct Statistics {
  enum class Kind { K, R, Q, CF, K2, CF2 };
  struct Slot {
    Kind kind;
    int layer;  // 1..L, or L + 1 for the readout's R and Q
  };
  int layers = 0;
  bool stein = false, preact = false, readout = false, field = false;
  std::vector<Slot> slots;
  Statistics() = default;
  Statistics(const ModelSpec& m, bool with_stein);
  int count() const { return static_cast<int>(slots.size()); }
  // The slot of a statistic, -1 when the run has none; l = L + 1 names the readout's R and Q.
  int index(Kind kind, int l) const;
  int K(int l) const { return index(Kind::K, l); }
  int R(int l) const { return index(Kind::R, l); }
  int Q(int l) const { return index(Kind::Q, l); }
  int CF(int l) const { return index(Kind::CF, l); }
  int K2(int l) const { return index(Kind::K2, l); }
  int CF2(int l) const { return index(Kind::CF2, l); }
  // Checkpoint names: "sums<l>" (the kernel), "stein_R<l>", "stein_Q<l>", "stein_Rout", "stein_Qout",
  // "stein_CF<l>", "squares_K<l>", "squares_CF<l>".
  std::string name(int k) const;
};

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
  FeatureModel<T>& model_;
  Statistics stats_;
  int G_, C_, N_, P_, L_, D_, R_;
  int M_, Rs_;          // selected inputs; selected rows D M
  int Tc_;              // columns of the training side of R: fcn P (rows a < P), cnn every row (D N)
  bool diag_, gather_;  // spatial diagonal only; copy the selected rows into gathered_ first
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
  void observe_stein(int l);
  std::unique_ptr<FieldAccumulator<T>> field_;        // nonlinear fcn with Stein: the conditional field's statistic
  const std::vector<std::uint8_t>* alive_ = nullptr;  // during observe: the chains still sampled
};

}  // namespace fwmc
