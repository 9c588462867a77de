// The typed GEMM views (fwmc/matrix_view.hpp): shapes are read from the operands and checked, transposes and row
// blocks address the right elements, and a product through views equals the naive one.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "fwmc/backend.hpp"

using namespace fwmc;

TEST(MatrixView, ShapesComeFromTheOperandsAndAMismatchIsAProgrammingError) {
  std::vector<double> a(12), b(12), c(9);
  const auto A = packed(a.data(), 3, 4), B = packed(b.data(), 4, 3);
  const GemmShape s = gemm_shape<double>(A, B, packed(c.data(), 3, 3));
  EXPECT_EQ(s.m, 3);
  EXPECT_EQ(s.n, 3);
  EXPECT_EQ(s.k, 4);
  EXPECT_EQ(gemm_shape<double>(A.t(), B.t(), packed(c.data(), 4, 4)).k, 3);
  EXPECT_THROW(gemm_shape<double>(A, A, packed(c.data(), 3, 4)), std::logic_error);      // inner sizes 4 vs 3
  EXPECT_THROW(gemm_shape<double>(A, B, packed(c.data(), 3, 3).t()), std::logic_error);  // transposed output
  EXPECT_THROW(gemm_shape<double>(matrices(a.data(), 3, 4, 2, 12), B, packed(c.data(), 3, 3)), std::logic_error);
}

TEST(MatrixView, ABatchedProductThroughViewsEqualsTheNaiveOne) {
  // Two chains of C_c = A_c(rows 1..2)^T B_c with A_c (4 x 3, ld 5, stride 15) and B_c (2 x 2, packed).
  auto be = make_cpu_backend<double>();
  std::vector<double> a(30), b(8);
  for (std::size_t i = 0; i < a.size(); ++i)
    a[i] = 0.5 + 0.25 * static_cast<double>(i % 7) - 0.1 * static_cast<double>(i);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = 1.0 - 0.3 * static_cast<double>(i);
  Buffer<double, double> A(*be, a.size()), B(*be, b.size()), C(*be, 12);
  A.upload(a);
  B.upload(b);
  const auto Av = matrices<const double>(A.data(), 4, 3, 5, 15).row_block(1, 2);
  be->gemm(2.0, Av.t(), packed<const double>(B.data(), 2, 2), 0.0, packed(C.data(), 3, 2), 2);
  const std::vector<double> c = C.download();
  for (int ch = 0; ch < 2; ++ch)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 2; ++j) {
        double want = 0;
        for (int p = 0; p < 2; ++p) want += a[ch * 15 + (1 + p) + i * 5] * b[ch * 4 + p + j * 2];
        EXPECT_DOUBLE_EQ(c[ch * 6 + i + j * 3], 2.0 * want) << ch << " " << i << " " << j;
      }
}
