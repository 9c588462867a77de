// Per-element updates of the samplers (docs/theory.md 10), shared by both backends.
#pragma once
#include <cmath>

#include "kernels/shared/hd.cuh"

namespace fwmc::shared {

// Langevin proposal: theta - h grad + sqrt(2h) xi   (ULA step and MALA proposal)
template <class T>
FWMC_HD T langevin_proposal(T theta, T grad, T h, T xi) {
  return theta - h * grad + sqrt(T(2) * h) * xi;
}

// One term of log q(to | from) * (-4h): || to - from + h grad(from) ||^2 contribution.
template <class T>
FWMC_HD double mala_q_term(T to, T from, T grad_from, T h) {
  const double d = static_cast<double>(to) - static_cast<double>(from) + static_cast<double>(h) * grad_from;
  return d * d;
}

// Leapfrog pieces with a diagonal mass m: p <- p - frac h g;  theta <- theta + h p / m.
template <class T>
FWMC_HD T leapfrog_kick(T p, T grad, T h, T frac) {
  return p - frac * h * grad;
}

template <class T>
FWMC_HD T leapfrog_drift(T theta, T p, T h, T inv_mass) {
  return theta + h * p * inv_mass;
}

}  // namespace fwmc::shared
