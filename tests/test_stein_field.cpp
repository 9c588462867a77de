// The conditional Stein field's pieces (docs/theory.md 12): Owen's T against references computed with mpmath
// (40 digits), relu's closed-form fields against their Stein equations by finite differences in double (rho near
// +-1, x far in the tails), quadratic's polynomial field, the 1-D Stein solutions behind the erf/tanh tables, and
// the tables' interpolation error against the bound the docs state.
#include <gtest/gtest.h>

#include <cmath>

#include "fwmc/backend.hpp"
#include "fwmc/settings.hpp"
#include "fwmc/stein_field_tables.hpp"
#include "fwmc/theory.hpp"
#include "kernels/shared/stein_field.cuh"
#include "kernels/shared/stein_field_op.cuh"

using namespace fwmc;

namespace {

// (d/dx f)(x) by a 4th-order central difference whose stencil stays on one side of the kink at 0.
template <class F>
double derivative(const F& f, double x) {
  const double h = std::min(1e-3 * std::max(1.0, std::abs(x)), 0.2 * std::abs(x));
  return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h);
}

double relu(double x) { return x > 0 ? x : 0; }

}  // namespace

TEST(SteinField, OwensTMatchesMpmathReferences) {
  // T(h, a) / pdf(h), mpmath.quad at 40 digits.
  const double ref[][3] = {{0.5, 0.3, 0.11584982741443314822},  {2.0, 0.7, 0.18859288306018892416},
                           {3.0, 5.0, 0.15229514935505164787},  {7.0, 0.2, 0.059293390776403917101},
                           {0.1, 30.0, 0.57961847357276126981}, {10.0, 1.5, 0.049514298235865960698},
                           {1.0, -0.8, -0.24630391511393543746}};
  for (const auto& r : ref)
    EXPECT_NEAR(owens_t_over_pdf(r[0], r[1]), r[2], 3e-13 * std::abs(r[2])) << r[0] << " " << r[1];
  // T(0, a) = atan(a) / (2 pi); T(h, 1) = Phi(h) Q(h) / 2.
  for (double a : {0.01, 0.5, 1.0, 3.0, 1e3})
    EXPECT_NEAR(owens_t_over_pdf(0, a), std::atan(a) / std::sqrt(2 * M_PI), 1e-14) << a;
  for (double h : {0.3, 1.7, 5.0, 12.0})
    EXPECT_NEAR(owens_t_over_pdf(h, 1.0), shared::normal_cdf(h) * shared::mills(h) / 2, 1e-13 * shared::mills(h)) << h;
}

TEST(SteinField, ReluFieldsSatisfyTheirSteinEquationsToOneInTenToTheEight) {
  for (double rho : {-0.999999, -0.9, -0.3, 0.0, 0.5, 0.95, 0.999999}) {
    const double r = std::sqrt((1 - rho) * (1 + rho)), kappa = relu_kappa(rho);
    for (double x : {-30.0, -8.0, -1.0, -1e-3, 1e-3, 0.7, 3.0, 8.0, 30.0}) {
      // w_1' - x w_1 = m - F (unit scales; F = kappa).
      const double w1 = relu_w1(x, rho);
      const double e1 = derivative([&](double t) { return relu_w1(t, rho); }, x) - x * w1 - (relu_m(x, rho) - kappa);
      EXPECT_LT(std::abs(e1), 1e-8 * std::max(1.0, std::abs(x * w1))) << "w1 rho " << rho << " x " << x;
      // d_2 w_2 - zeta_2 w_2 = f - m along zeta_2, with x_a = x fixed.
      for (double z2 : {-20.0, -3.0, -0.2, 0.4, 2.5, 25.0}) {
        const auto w2 = [&](double z) {
          const double xb = rho * x + r * z;
          return r * shared::relu_w2_over_r(x, xb, rho / r * x, z);
        };
        const double xb = rho * x + r * z2;
        const double e2 = derivative(w2, z2) - z2 * w2(z2) - (relu(x) * relu(xb) - relu_m(x, rho));
        EXPECT_LT(std::abs(e2), 1e-8 * std::max(1.0, std::abs(z2 * w2(z2))))
            << "w2 rho " << rho << " x " << x << " zeta2 " << z2;
      }
    }
  }
  // The diagonal: S[relu^2]' - x S = relu^2 - 1/2.
  for (double x : {-30.0, -2.0, -1e-3, 1e-3, 1.5, 30.0}) {
    const double s = shared::relu_diag_field(x);
    EXPECT_LT(std::abs(derivative(shared::relu_diag_field, x) - x * s - (relu(x) * relu(x) - 0.5)),
              1e-8 * std::max(1.0, std::abs(x * s)))
        << x;
  }
  // kappa is the NNGP map: F_ab = s_a s_b kappa(rho).
  for (double rho : {-0.7, 0.0, 0.6})
    EXPECT_NEAR(relu_kappa(rho), activation_kernel(Activation::relu, 1, 1, rho), 1e-15);
}

TEST(SteinField, QuadraticFieldIsTheExactPolynomialOne) {
  // quadratic_pair_tau = w_1 gamma_a + (w_2/r)(gamma_b - rho gamma_a): check the Stein equations of w_1 and w_2.
  for (double rho : {-0.8, 0.1, 0.9}) {
    const double r = std::sqrt(1 - rho * rho);
    const auto w1 = [&](double x) { return shared::quadratic_pair_tau(rho, x, 0.0, 1.0, rho); };  // gamma_b = rho ga
    for (double x : {-3.0, 0.2, 2.0}) {
      const double m = x * x * (rho * rho * x * x + r * r);  // E[x_a^2 x_b^2 | x_a = x]
      EXPECT_NEAR(derivative(w1, x) - x * w1(x), m - (1 + 2 * rho * rho), 1e-9 * (1 + std::abs(x * w1(x))));
      const auto w2 = [&](double z) { return r * shared::quadratic_pair_tau(rho, x, rho * x + r * z, 0.0, 1.0); };
      for (double z : {-2.0, 0.5, 3.0}) {
        const double xb = rho * x + r * z;
        EXPECT_NEAR(derivative(w2, z) - z * w2(z), x * x * xb * xb - m, 1e-9 * (1 + std::abs(z * w2(z))));
      }
    }
  }
}

TEST(SteinField, OneDimensionalSolutionsAndTheirTablesAreAccurate) {
  // S[h] for h = x^3 is -(x^2 + 2) (He_3 = x^3 - 3x, S[He_k] = -He_{k-1}); for relu^2 the closed form.
  const shared::HermiteGrid g{-10.0, 0.05, 401};
  double mean = 1;
  const auto cube = stein_solution_nodes([](double x) { return x * x * x; }, g, &mean);
  EXPECT_NEAR(mean, 0.0, 1e-13);
  for (int k = 0; k < g.n; k += 20) {
    const double x = g.x0 + k * g.h;
    EXPECT_NEAR(cube[2 * k], -(x * x + 2), 1e-9 * (x * x + 2)) << x;
  }
  const auto sq = stein_solution_nodes([](double x) { return x > 0 ? x * x : 0.0; }, g, &mean);
  EXPECT_NEAR(mean, 0.5, 1e-13);
  // The interpolant between nodes: its error, and the bound docs/theory.md 12 states (1e-6 on |x| <= 10).
  double worst = 0;
  for (double x = -9.99; x < 10; x += 0.0137) {
    double f, df;
    shared::hermite_eval(sq.data(), g, x, f, df);
    worst = std::max(worst, std::abs(f - shared::relu_diag_field(x)) / std::max(1.0, std::abs(x)));
  }
  EXPECT_LT(worst, 1e-6);
  // relu's table: w_1 between rows (blending in theta) and nodes.
  ModelSpec m;
  m.activation = Activation::relu;
  m.widths = {4};
  m.sigma = {1, 1};
  KernelTensor K(2, 1);
  K.at(0, 0) = K.at(1, 1) = 1, K.at(0, 1) = K.at(1, 0) = 0.3;
  const SteinFieldData d = stein_field_data(m, {K, K});
  double table_worst = 0;
  for (double rho : {-0.97, -0.41, 0.13, 0.77, 0.995})
    for (double x = -9.5; x < 9.5; x += 0.311) {
      const double r = std::sqrt(1 - rho * rho), theta = std::acos(rho), h = M_PI / (d.relu_rows - 1);
      const int row = static_cast<int>(theta / h);
      double w0, d0, w1, d1;
      shared::hermite_eval(d.relu_w1.data() + static_cast<long>(row) * 2 * d.xg.n, d.xg, x, w0, d0);
      shared::hermite_eval(d.relu_w1.data() + static_cast<long>(row + 1) * 2 * d.xg.n, d.xg, x, w1, d1);
      const double w = w0 + (theta / h - row) * (w1 - w0);
      table_worst = std::max(table_worst, std::abs(w - relu_w1(x, rho)) / std::max(1.0, std::abs(x)));
      (void)r;
    }
  EXPECT_LT(table_worst, 2e-4);  // docs/theory.md 12: relu table error (theta blend) below 2e-4 per unit |x|
}

TEST(SteinField, TheFastReluUnitTermEqualsItsReferenceParts) {
  // relu_pair_term computes m, w_2 / r and the table part with shared intermediates; the parts, one by one, are
  // relu_m, relu_w2_over_r (whose Stein equations are checked above) and the table's interpolant.
  ModelSpec m;
  m.activation = Activation::relu;
  m.widths = {4};
  m.sigma = {1, 1};
  KernelTensor K(2, 1);
  K.at(0, 0) = K.at(1, 1) = 1, K.at(0, 1) = K.at(1, 0) = 0.3;
  const SteinFieldData d = stein_field_data(m, {K, K});
  double worst = 0;
  for (double rho : {-0.999, -0.8, -0.2, 0.0, 0.35, 0.9, 0.9999})
    for (double xa : {-3.0, -0.1, 0.05, 0.8, 2.5, 7.0, 40.0})
      for (double xb : {-6.0, -0.3, 0.2, 1.7, 9.0}) {
        const double r = std::sqrt(1 - rho * rho), theta = std::acos(rho), h = M_PI / (d.relu_rows - 1);
        const int row = std::min(static_cast<int>(theta / h), d.relu_rows - 2);
        const shared::ReluPair p{rho, r, rho / r, row, theta / h - row};
        const double ga = 0.37, gb = -1.3;
        double w0, d0, w1, d1;
        shared::hermite_eval(d.relu_w1.data() + static_cast<long>(row) * 2 * d.xg.n, d.xg, xa, w0, d0);
        shared::hermite_eval(d.relu_w1.data() + static_cast<long>(row + 1) * 2 * d.xg.n, d.xg, xa, w1, d1);
        const double w = w0 + p.blend * (w1 - w0), dw = d0 + p.blend * (d1 - d0);
        const double ref = xa * w - dw + w * ga + relu_m(xa, rho) +
                           shared::relu_w2_over_r(xa, xb, p.c * xa, (xb - rho * xa) / r) * (gb - rho * ga);
        const double got = shared::relu_pair_term(d.relu_w1.data(), d.xg, p, xa, xb, ga, gb);
        worst = std::max(worst, std::abs(got - ref) / std::max(1.0, std::abs(ref)));
      }
  EXPECT_LT(worst, 1e-12);
}

TEST(SteinField, AnInputWithVanishingPreactivationsGetsAnExactZeroInEveryForm) {
  // Input 0 has Sigma_00 = 0 (a zero input, or every unit below dead for it in this draw, as happens at small
  // width with relu): u_0 = 0 in every unit, phi(0) = 0, so every pair with input 0 is exactly 0 and the others
  // are untouched (before, 0 / 0 standardized pre-activations gave NaN and an out-of-range table index).
  const int M = 3, n = 5;
  KernelTensor K(M, 1);
  K.at(1, 1) = 1.0, K.at(2, 2) = 0.8, K.at(1, 2) = K.at(2, 1) = 0.3;
  auto be = make_cpu_backend<double>();
  for (Activation act : {Activation::relu, Activation::quadratic, Activation::erf, Activation::tanh})
    for (bool fixed_layer : {false, true}) {
      // relu: the table with each draw's Sigma, and the exact layer-1 field; erf and tanh: always a fixed field.
      if (fixed_layer != (act != Activation::quadratic) && act != Activation::relu) continue;
      ModelSpec m;
      m.activation = act;
      m.widths = {n};
      m.sigma = {1.0, 1.0};
      const SteinFieldData d = stein_field_data(m, {K, K});
      const bool fixed = fixed_layer && !d.layers.empty();
      std::vector<double> sigma(M * M), u(M * n), s(M * n), out(M * M, 7.0);
      for (int e = 0; e < M * M; ++e) sigma[e] = K.at(e % M, e / M);
      for (int i = 0; i < n; ++i)
        for (int a = 1; a < M; ++a) u[a + i * M] = 0.4 * (a + 1) - 0.3 * i, s[a + i * M] = 0.1 * (i - a);
      shared::SteinFieldArgs<double> A;
      A.act = static_cast<int>(act);
      A.chains = 1, A.M = M, A.n = n;
      A.u = u.data(), A.s = s.data(), A.ld = M, A.stride = M * n, A.s_ld = M, A.s_stride = M * n;
      A.sigma = sigma.data(), A.sigma_stride = M * M;
      A.relu_w1 = d.relu_w1.data(), A.relu_rows = d.relu_rows;
      if (fixed) {
        const FixedFieldLayer& L = d.layers[0];
        A.fixed = L.pairs.data(), A.diag_offset = L.diag_offset.data(), A.diag_scale = L.diag_scale.data();
        A.w1_nodes = L.nodes.data();
      }
      A.g = d.g;
      A.g.nodes = d.g_nodes.data();
      A.xg = d.xg;
      A.out = out.data();
      be->stein_field(A);
      for (int e = 0; e < M * M; ++e) {
        const bool zero = e % M == 0 || e / M == 0;
        SCOPED_TRACE(std::string(name_of(act)) + (fixed ? " fixed" : "") + ", entry " + std::to_string(e));
        if (zero)
          EXPECT_EQ(out[e], 0.0);
        else
          EXPECT_TRUE(std::isfinite(out[e]) && out[e] != 7.0) << out[e];
      }
    }
}
