// grad U against a five-point finite-difference stencil, for any Potential in double (used by fcn and cnn tests).
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "fwmc/potential.hpp"

namespace fwmc::test {

// Largest error of grad U relative per component, floored at 1e-3 of the gradient's scale (where the stencil's
// rounding lives). Also checks that moving one chain's parameter leaves the other chains' U unchanged.
inline double fd_gradient_error(Potential<double>& model, const std::vector<double>& theta) {
  auto& be = model.backend();
  const long n = static_cast<long>(theta.size());
  Buffer<double, double> th(be, n), gr(be, n);
  th.upload(theta);
  std::vector<double> U;
  model.evaluate(th.data(), gr.data(), U);
  const std::vector<double> grad = gr.download();
  double worst = 0, gscale = 0;
  for (double v : grad) gscale = std::max(gscale, std::abs(v));
  for (long i = 0; i < n; ++i) {
    // Five-point stencil: truncation error O(eps^4); eps small enough not to straddle a relu kink.
    const double eps = 1e-5;
    auto U_at = [&](double delta) {
      std::vector<double> t = theta, u;
      t[i] += delta;
      th.upload(t);
      model.evaluate(th.data(), gr.data(), u);
      return u;
    };
    const std::vector<double> Up = U_at(eps), Um = U_at(-eps), Up2 = U_at(2 * eps), Um2 = U_at(-2 * eps);
    int chain = 0;
    for (const auto& b : model.blocks())
      if (i >= b.offset && i < b.offset + b.layout.size())
        chain = static_cast<int>((i - b.offset) / b.layout.per_chain);
    const double fd = (8 * (Up[chain] - Um[chain]) - (Up2[chain] - Um2[chain])) / (12 * eps);
    worst = std::max(worst, std::abs(fd - grad[i]) / std::max(std::abs(fd), 1e-3 * gscale));
    for (std::size_t c = 0; c < U.size(); ++c) {
      if (static_cast<int>(c) != chain) {
        EXPECT_EQ(Up[c], U[c]) << "parameter " << i << " moved chain " << c;
      }
    }
  }
  return worst;
}

}  // namespace fwmc::test
