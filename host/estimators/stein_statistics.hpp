// The Stein statistics of the kernel accumulator (docs/theory.md 11-12): per draw and layer, from the model's
// error signals, R_l = K_in (Z delta^T)^T (or its cheaper order), the pre-activation kernels Q_l and, for a
// nonlinear fcn, the conditional field's estimate (FieldAccumulator), all added into the group sums.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "fwmc/feature_model.hpp"
#include "fwmc/kernel_accumulator.hpp"
#include "fwmc/statistics.hpp"
#include "host/estimators/group_outer_sums.hpp"

namespace fwmc {

template <class T>
class FieldAccumulator;

template <class T>
class SteinStatistics {
 public:
  // field: the conditional field's tables (a nonlinear fcn's Stein statistics need them); wmax: the widest layer.
  SteinStatistics(FeatureModel<T>& model, const AccumulatorLayout& n, const Statistics& stats, GroupOuterSums<T>& sums,
                  const SteinFieldData* field, int wmax);
  ~SteinStatistics();
  // Layer l's statistics (l = L + 1: the readout's) from the model's last backward pass; alive as in observe.
  void observe(int l, const std::vector<std::uint8_t>* alive);
  // The field's sums of squares of the plain kernel of this draw (nonlinear fcn; nothing otherwise): h is the
  // layer's selected rows (ld rows, stride per chain).
  void add_plain_squares(const T* h, long stride, int n, int l);

 private:
  // Whether a layer's R statistic (width n, n_in input features) is cheaper as scale F[sel] (F[T]^T delta) Z^T than
  // as K_in (Z delta^T)^T, and the per-chain buffers hold its intermediates.
  bool reassociate(int n, int in_cols, bool shared) const;

  FeatureModel<T>& model_;
  const AccumulatorLayout& n_;
  const Statistics& stats_;
  GroupOuterSums<T>& sums_;
  Buffer<T, T> gathered_in_, kin_, zdelta_;
  Buffer<T, T> shared_kin_, zsum_, ones_;  // layer 1's input kernel (fixed for the run); per-group sums of Z delta^T
  bool shared_kin_ready_ = false;
  std::unique_ptr<FieldAccumulator<T>> field_;  // nonlinear fcn: the conditional field's statistic
};

}  // namespace fwmc
