// A typed view of a batch of column-major matrices in backend memory, so a GEMM names its operands instead of
// passing 17 numbers: matrix b of the batch starts at data + b * stride (stride 0: one matrix shared by the whole
// batch), element (i, j) at i + j * ld. t() marks a view transposed for a product (op(A) = A^T).
#pragma once
#include <stdexcept>
#include <string>
#include <type_traits>

namespace fwmc {

template <class T>
struct MatrixBatch {
  T* data = nullptr;
  int rows = 0, cols = 0;  // as stored
  int ld = 0;              // leading dimension, >= rows
  long stride = 0;         // elements from one matrix of the batch to the next
  bool transposed = false;

  int op_rows() const { return transposed ? cols : rows; }
  int op_cols() const { return transposed ? rows : cols; }
  MatrixBatch t() const {
    MatrixBatch m = *this;
    m.transposed = !transposed;
    return m;
  }
  // Rows [r0, r0 + n) of every matrix of the batch.
  MatrixBatch row_block(int r0, int n) const {
    MatrixBatch m = *this;
    m.data = data + r0;
    m.rows = n;
    return m;
  }
  // Matrix k of the batch, and the batch from there on.
  MatrixBatch item(long k) const {
    MatrixBatch m = *this;
    m.data = data + k * stride;
    return m;
  }
  // The same matrices taken `s` elements apart.
  MatrixBatch with_stride(long s) const {
    MatrixBatch m = *this;
    m.stride = s;
    return m;
  }
  // The same batch read-only.
  template <class U = T, class = std::enable_if_t<!std::is_const<U>::value>>
  operator MatrixBatch<const U>() const {
    return {data, rows, cols, ld, stride, transposed};
  }
};

// A batch of rows x cols matrices with leading dimension ld, stride elements apart.
template <class T>
MatrixBatch<T> matrices(T* data, int rows, int cols, int ld, long stride) {
  return {data, rows, cols, ld, stride, false};
}
// Densely packed rows x cols matrices one after another (ld = rows).
template <class T>
MatrixBatch<T> packed(T* data, int rows, int cols) {
  return {data, rows, cols, rows, static_cast<long>(rows) * cols, false};
}
// One matrix, shared by every product of a batch (stride 0).
template <class T>
MatrixBatch<T> matrix(T* data, int rows, int cols, int ld) {
  return {data, rows, cols, ld, 0, false};
}

// The sizes m, n, k of C = op(A) op(B); std::logic_error (a programming error, not an input one) when they disagree.
struct GemmShape {
  int m, n, k;
};
template <class T>
GemmShape gemm_shape(const MatrixBatch<const T>& A, const MatrixBatch<const T>& B, const MatrixBatch<T>& C) {
  auto fail = [](const std::string& what) { throw std::logic_error("gemm: " + what); };
  if (C.transposed) fail("the output cannot be transposed");
  if (A.op_rows() != C.rows || B.op_cols() != C.cols || A.op_cols() != B.op_rows())
    fail("shapes (" + std::to_string(A.op_rows()) + "x" + std::to_string(A.op_cols()) + ") (" +
         std::to_string(B.op_rows()) + "x" + std::to_string(B.op_cols()) + ") -> (" + std::to_string(C.rows) + "x" +
         std::to_string(C.cols) + ") do not chain");
  if (A.ld < A.rows || B.ld < B.rows || C.ld < C.rows) fail("a leading dimension is below its row count");
  return {C.rows, C.cols, A.op_cols()};
}

}  // namespace fwmc
