// What the conditional Stein field (docs/theory.md 12) needs on a backend, as plain host data: the relu table of
// w_1, or for erf/tanh the universal table G and each hidden layer's field fixed at its NNGP point; and the
// Jacobians dF/dSigma that the deep recursion K^_l = F - sigma_l^2 J[K_{l-1} - K^_{l-1}] + tau applies to the
// group sums. Built by the theory layer (stein_field_tables.hpp), read by the kernel accumulator and the
// estimators.
#pragma once
#include <vector>

#include "kernels/shared/stein_field.cuh"

namespace fwmc {

// dF_ab/dSigma at a layer's NNGP point, per entry (a, b) of the selected inputs (M x M, row-major a * M + b): F_ab
// depends on Sigma_aa, Sigma_bb and Sigma_ab (the diagonal entry on Sigma_aa alone, in `aa`).
struct FieldJacobian {
  int M = 0;
  std::vector<double> ab, aa, bb;
};

// One hidden layer's erf/tanh field at Sigma* = sigma_l^2 K^(0)_{l-1} over the selected inputs.
struct FixedFieldLayer {
  std::vector<shared::FixedPair> pairs;  // M (M - 1) / 2, a < b, a major
  std::vector<long> diag_offset;         // per input: its diagonal field's nodes in `nodes`
  std::vector<double> diag_scale;        // per input: s* = sqrt(Sigma*_aa)
  std::vector<double> nodes;             // every 1-D field (Hermite nodes on SteinFieldData::xg)
};

struct SteinFieldData {
  int act = 0;                  // shared::kRelu, kErf, kTanh or kQuadratic
  shared::HermiteGrid xg;       // every 1-D field's grid
  std::vector<double> relu_w1;  // relu: relu_rows rows of w_1 on xg, theta_j = j pi / (relu_rows - 1)
  int relu_rows = 0;
  std::vector<float> g_nodes;  // erf/tanh: G, [sigma'][mu][zeta] (the GTable's pointer is set on upload)
  shared::GTable g;
  std::vector<FixedFieldLayer> layers;   // erf/tanh: per hidden layer 1..L; relu: layer 1 (exact, quintic)
  std::vector<FieldJacobian> jacobians;  // per hidden layer 1..L (layer 1's is never applied)
  bool empty() const { return act == 0; }
};

}  // namespace fwmc
