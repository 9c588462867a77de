// Activations and their derivatives, one definition for the CPU and CUDA backends.
#pragma once
#include <cmath>

#include "kernels/shared/hd.cuh"

namespace fwmc::shared {

// The activation codes; fwmc::Activation (model_spec.hpp) takes its values from these.
enum : int { kLinear = 0, kRelu = 1, kErf = 2, kTanh = 3, kQuadratic = 4 };

template <class T>
FWMC_HD T act_forward(int a, T z) {
  switch (a) {
    case kRelu:
      return z > T(0) ? z : T(0);
    case kErf:
      return erf(z);
    case kTanh:
      return tanh(z);
    case kQuadratic:
      return z * z;
    default:
      return z;
  }
}

template <class T>
FWMC_HD T act_derivative(int a, T z) {
  switch (a) {
    case kRelu:
      return z > T(0) ? T(1) : T(0);
    case kErf:
      return T(1.1283791670955126) * exp(-z * z);  // 2/sqrt(pi) e^{-z^2}
    case kTanh: {
      T t = tanh(z);
      return T(1) - t * t;
    }
    case kQuadratic:
      return T(2) * z;
    default:
      return T(1);
  }
}

}  // namespace fwmc::shared
