// Turning draws into answers: each draw's statistics (Statistics: the kernels, and the Stein estimators') summed
// per chain group on the backend, and the per-chain traces (Traces); the estimates come from the group sums
// (group_estimate.hpp). The parts: AccumulatorLayout (sizes, named), the plain sums (GroupOuterSums), the Stein
// statistics (SteinStatistics, with FieldAccumulator), the traces, and the checkpoint state (save/load); this class
// runs a draw through them.
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
class GroupOuterSums;
template <class T>
class SteinStatistics;

// The sizes the accumulator and its parts work with, named once.
struct AccumulatorLayout {
  int groups, chains, inputs, train, layers, positions;
  int rows;           // rows of a chain's activations: positions x inputs
  int selected;       // selected inputs M
  int selected_rows;  // positions x M
  int train_cols;     // columns of the training side of R: fcn P (rows a < P), cnn every row (D N)
  bool diagonal;      // spatial diagonal only
  bool gather;        // copy the selected rows into a gather buffer first
  // Entries per group sum: (D M)^2, or D M^2 for the spatial diagonal.
  std::size_t entries() const {
    return static_cast<std::size_t>(positions) * selected * selected * (diagonal ? 1 : positions);
  }
};

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
  KernelAccumulator(KernelAccumulator&&) = delete;  // its parts hold references to its layout and statistics
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
  std::vector<double> group_sums(int k) const;
  const Statistics& statistics() const { return stats_; }
  // Terms per group sum (chain-draws of live chains).
  const std::vector<double>& group_counts() const { return counts_; }

 private:
  FeatureModel<T>& model_;
  Statistics stats_;
  AccumulatorLayout n_;
  long draws_ = 0;
  double stein_s_ = 0;
  Buffer<T, T> phi_, phiH_;  // Phi and Phi H per chain, for the tr(K_l Phi) traces
  Buffer<double, T> dots_;
  std::unique_ptr<GroupOuterSums<T>> sums_;
  std::unique_ptr<SteinStatistics<T>> stein_;  // with the Stein statistics only
  Traces traces_;
  std::vector<double> counts_;
};

}  // namespace fwmc
