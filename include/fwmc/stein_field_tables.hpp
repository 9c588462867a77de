// Building the conditional Stein field's tables on the host, in double (docs/theory.md 12), and the closed forms
// they come from: Owen's T, relu's w_1, the 1-D Stein solution of any function. Tables cost variance, never bias:
// the fields are used in the long form with the interpolant's exact derivative.
#pragma once
#include <functional>
#include <vector>

#include "fwmc/kernel_tensor.hpp"
#include "fwmc/model_spec.hpp"
#include "fwmc/stein_field.hpp"

namespace fwmc {

// Owen's T(h, a) divided by the standard normal pdf(h), for h >= 0 and any a (relative error below 1e-13).
double owens_t_over_pdf(double h, double a);

// relu's conditional field in unit scales (rho = correlation of the pair): kappa(rho) = F_ab / (s_a s_b), the
// conditional mean m(x) = E[relu(x_a) relu(x_b) | x_a = x] and w_1(x), which solves w_1' - x w_1 = m - kappa.
double relu_kappa(double rho);
double relu_m(double x, double rho);
double relu_w1(double x, double rho);

// The 1-D Stein solution of h on a grid: S[h](x_k) (and its derivative x S + h - E h) at x_k = g.x0 + k g.h, as
// Hermite nodes (value, derivative); E h is computed on the same quadrature and returned in *mean.
std::vector<double> stein_solution_nodes(const std::function<double(double)>& h, const shared::HermiteGrid& g,
                                         double* mean = nullptr);

// The tables of a run: K0_sel[l] is K^(0)_l over the selected inputs (l = 0..L, K0_sel[0] the input kernel). Empty
// for activations the field does not handle (linear: section 11 is exact already).
SteinFieldData stein_field_data(const ModelSpec& m, const std::vector<KernelTensor>& K0_sel);

// dF/dSigma at Sigma*_l = sigma_l^2 K^(0)_{l-1}, for l = 1..L (index l - 1; layer 1's is never applied).
std::vector<FieldJacobian> field_jacobians(const ModelSpec& m, const std::vector<KernelTensor>& K0_sel);

}  // namespace fwmc
