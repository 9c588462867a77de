// Kernel tensors over the inputs (a layer kernel of fcn or cnn), and which of their entries a run accumulates.
#pragma once
#include <cstddef>
#include <vector>

#include <Eigen/Dense>

#include "fwmc/config.hpp"
#include "fwmc/model_spec.hpp"

namespace fwmc {

// A layer kernel over N inputs: fcn (N, N) with D = 1, cnn (N, N, D, D); index ((a*N+b)*D+i)*D+j.
// A spatial-diagonal tensor (diag = true) keeps only i = j: shape (N, N, D), index (a*N+b)*D+i.
struct KernelTensor {
  int N = 0, D = 1;
  bool diag = false;
  std::vector<double> v;
  KernelTensor() = default;
  KernelTensor(int n, int d, bool diagonal = false)
      : N(n), D(d), diag(diagonal), v(static_cast<std::size_t>(n) * n * d * (diagonal ? 1 : d), 0.0) {}
  std::size_t index(int a, int b, int i = 0, int j = 0) const {
    const std::size_t ab = std::size_t(a) * N + b;
    return diag ? ab * D + i : (ab * D + i) * D + j;
  }
  std::size_t entries_per_pair() const { return diag ? std::size_t(D) : std::size_t(D) * D; }
  // Whether entry i belongs to a pair (a, b) with a <= b: counts each symmetric pair of inputs once.
  bool upper(std::size_t i) const {
    const std::size_t ab = i / entries_per_pair();
    return ab / N <= ab % N;
  }
  double& at(int a, int b, int i = 0, int j = 0) { return v[index(a, b, i, j)]; }  // diag: i == j only
  double at(int a, int b, int i = 0, int j = 0) const { return diag && i != j ? 0.0 : v[index(a, b, i, j)]; }
  std::vector<std::size_t> shape() const;
  double frobenius() const;
  // Spatial trace (1/D) sum_i K(a,b)_ii as an N x N matrix (what the readout sees).
  Eigen::MatrixXd spatial_trace() const;
};

// Which part of each layer's kernel a run accumulates (output.kernel_inputs / kernel_positions), for kernels
// whose full (N, N, D, D) tensor is too big: a subset of the inputs, and/or only the spatial diagonal i = j.
struct KernelSelection {
  std::vector<int> inputs;  // indices into the N inputs, in this order; empty: all
  bool diagonal = false;
  bool trivial() const { return inputs.empty() && !diagonal; }
  int count(int N) const { return inputs.empty() ? N : static_cast<int>(inputs.size()); }
};
KernelSelection kernel_selection(const Config& c);
// InputError naming the key when an index in output.kernel_inputs is not below N.
void check_kernel_selection(const Config& c, int N);
// The selected part of a full tensor (a copy of it when the selection is trivial).
KernelTensor restrict_kernel(const KernelTensor& full, const KernelSelection& s);
KernelTensor operator-(const KernelTensor& a, const KernelTensor& b);
// Window average (A K)(a,b)_ij = (1/|S|) sum_s K(a,b)_{i+s,j+s} (docs/theory.md 1); identity for fcn.
KernelTensor apply_window(const ModelSpec& m, const KernelTensor& K);

}  // namespace fwmc
