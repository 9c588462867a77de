// The plain sums of the kernel accumulator: per chain group and statistic, a (selected rows)^2 block (or its
// spatial diagonal) summed over draws in double on the backend, with the row gather that picks the selected
// inputs and the GEMMs that add a group's outer products. The Stein statistics add into the same sums.
#pragma once
#include <vector>

#include "fwmc/backend.hpp"
#include "fwmc/kernel_accumulator.hpp"

namespace fwmc {

template <class T>
class GroupOuterSums {
 public:
  // stats: statistics summed; rows: the selected rows' indices when inputs are selected; gather_cols: the widest
  // matrix gathered per chain.
  GroupOuterSums(Backend<T>& be, const AccumulatorLayout& n, int stats, const std::vector<int>& rows, int gather_cols);

  // The selected rows of every chain's (rows x cols) matrix src (stride: per chain, 0 = shared): src itself, or
  // gathered into buf.
  const T* select_rows(const T* src, int cols, long stride, T* buf);
  // sum[stat] += per group g, alpha A_g B_g^T over the selected rows: A and B hold one (selected rows x k) matrix
  // per group (stride 0: one operand for every group).
  void add_group_outer(const MatrixBatch<const T>& A, const MatrixBatch<const T>& B, T alpha, int stat);
  // The same with A_g, B_g the group's chains side by side: each chain's (selected rows x cols) block, chains
  // `stride` apart, so the group's sum of A_c B_c^T is one GEMM.
  void add_chain_outer(const T* A, int lda, const T* B, int ldb, int cols, long stride, T alpha, int stat);

  double* sum(int stat) { return acc_[stat].data(); }
  const Buffer<double, T>& buffer(int stat) const { return acc_[stat]; }
  Buffer<double, T>& buffer(int stat) { return acc_[stat]; }
  T* gathered() { return gathered_.data(); }  // the gather's buffer for activations (rows x gather_cols per chain)

 private:
  Backend<T>& be_;
  const AccumulatorLayout& n_;
  Buffer<T, T> kscratch_, gathered_;
  Buffer<int, T> rows_;                 // row map of the gather: the selected rows i*N + a first
  std::vector<Buffer<double, T>> acc_;  // per statistic: G x entries
};

}  // namespace fwmc
