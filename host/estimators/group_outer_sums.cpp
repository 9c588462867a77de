#include "host/estimators/group_outer_sums.hpp"

#include <algorithm>

namespace fwmc {

template <class T>
GroupOuterSums<T>::GroupOuterSums(Backend<T>& be, const AccumulatorLayout& n, int stats, const std::vector<int>& rows,
                                  int gather_cols)
    : be_(be), n_(n) {
  kscratch_ = Buffer<T, T>(be, n_.groups * n_.entries());
  for (int k = 0; k < stats; ++k) acc_.emplace_back(be, n_.groups * n_.entries());
  if (n_.gather) {
    rows_ = Buffer<int, T>(be, rows.size());
    rows_.upload(rows);
    gathered_ = Buffer<T, T>(be, static_cast<std::size_t>(n_.chains) * n_.rows * gather_cols);
  }
}

template <class T>
const T* GroupOuterSums<T>::select_rows(const T* src, int cols, long stride, T* buf) {
  if (!n_.gather) return src;
  // Rows i*N + a (a selected) to the top of each chain's block, as im2col with one input, R positions, window 1.
  be_.im2col(1, n_.rows, 1, cols, stride ? n_.chains : 1, rows_.data(), src, buf);
  return buf;
}

template <class T>
void GroupOuterSums<T>::add_group_outer(const MatrixBatch<const T>& A, const MatrixBatch<const T>& B, T alpha,
                                        int stat) {
  if (n_.diagonal) {
    // One (M x M) product per position i and group g, from the rows i*M + a: D calls batched over the groups, or,
    // when there are more positions than groups, G calls batched over the positions (the same products).
    const long MM = static_cast<long>(n_.selected) * n_.selected;
    if (n_.positions <= n_.groups) {
      for (int i = 0; i < n_.positions; ++i)
        be_.gemm(alpha, A.row_block(i * n_.selected, n_.selected), B.row_block(i * n_.selected, n_.selected).t(), T(0),
                 matrices(kscratch_.data() + i * MM, n_.selected, n_.selected, n_.selected, n_.positions * MM),
                 n_.groups);
    } else {
      for (int g = 0; g < n_.groups; ++g)
        be_.gemm(alpha, A.item(g).row_block(0, n_.selected).with_stride(n_.selected),
                 B.item(g).row_block(0, n_.selected).with_stride(n_.selected).t(), T(0),
                 matrices(kscratch_.data() + g * n_.positions * MM, n_.selected, n_.selected, n_.selected, MM),
                 n_.positions);
    }
  } else {
    be_.gemm(alpha, A, B.t(), T(0), packed(kscratch_.data(), n_.selected_rows, n_.selected_rows), n_.groups);
  }
  be_.accumulate(static_cast<long>(kscratch_.size()), kscratch_.data(), 1.0, acc_[stat].data());
}

template <class T>
void GroupOuterSums<T>::add_chain_outer(const T* A, int lda, const T* B, int ldb, int cols, long stride, T alpha,
                                        int stat) {
  // A group's chains side by side form one (rows x cg cols) matrix, so its sum is one GEMM per group.
  const int cg = n_.chains / n_.groups;
  add_group_outer(matrices(A, n_.selected_rows, cg * cols, lda, cg * stride),
                  matrices(B, n_.selected_rows, cg * cols, ldb, cg * stride), alpha, stat);
}

template class GroupOuterSums<float>;
template class GroupOuterSums<double>;

}  // namespace fwmc
