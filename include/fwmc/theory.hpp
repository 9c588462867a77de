// Infinite-width (NNGP) kernels and the leading-order 1/width posterior correction (docs/theory.md 2-6), host double.
#pragma once
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "fwmc/config.hpp"
#include "fwmc/dataset.hpp"
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

// E[phi(u) phi(v)] for (u, v) ~ N(0, [[s11, s12], [s12, s22]]).
double activation_kernel(Activation a, double s11, double s22, double s12);
// 2-D Gauss-Hermite expectation of phi(u) phi(v) with n x n nodes (reference for the closed forms).
double gauss_hermite_kernel(Activation a, double s11, double s22, double s12, int n = 64);
// Nodes and weights of n-point Gauss-Hermite (physicists', weight exp(-x^2)).
void gauss_hermite_rule(int n, std::vector<double>& nodes, std::vector<double>& weights);

// Window average (A K)(a,b)_ij = (1/|S|) sum_s K(a,b)_{i+s,j+s} (docs/theory.md 1); identity for fcn.
KernelTensor apply_window(const ModelSpec& m, const KernelTensor& K);

// K_0 over all N inputs of X (N x d): G for fcn, x_{a,i} . x_{b,j} / c_0 for cnn.
KernelTensor input_kernel(const ModelSpec& m, const Eigen::MatrixXd& X);
// K^(0)_0 .. K^(0)_L over all N inputs of X (N x d).
std::vector<KernelTensor> nngp_kernels(const ModelSpec& m, const Eigen::MatrixXd& X);

// Gamma = K_out(T,T) + I/beta and Phi = Gamma^{-1} (G_yy - Gamma) Gamma^{-1} (docs/theory.md 3). beta = 0: Phi = 0.
struct PhiResult {
  Eigen::MatrixXd gamma, phi;
  double gamma_cond = 1.0;
};
PhiResult compute_phi(const ModelSpec& m, const KernelTensor& K_L, int P, const Eigen::MatrixXd& Y, double beta);

struct LayerTheory {
  int layer = 0;
  KernelTensor nngp, theory, theory_se;  // theory_se empty (v.size()==0) for closed forms
  bool has_theory = false;
};

struct TheoryResult {
  std::vector<LayerTheory> layers;     // l = 1..L
  PhiResult phi;
  std::string method;                  // e.g. "closed_form:deep_linear_fcn"
  bool available = false;
  std::string unavailable_reason;
  std::vector<std::string> warnings;
  double sum_nd_over_n = 0, p_depth_over_n = 0;
  long draws = 0;
};

// Closed forms (inputs: NNGP kernels, Phi). Each returns the posterior kernel of layers 1..L.
std::vector<KernelTensor> deep_linear_fcn_theory(const ModelSpec& m, const std::vector<KernelTensor>& K0,
                                                 const Eigen::MatrixXd& phi, int P);
std::vector<KernelTensor> deep_linear_cnn_theory(const ModelSpec& m, const std::vector<KernelTensor>& K0,
                                                 const Eigen::MatrixXd& phi, int P, bool propagated);
KernelTensor quadratic_single_layer_theory(const ModelSpec& m, const KernelTensor& K0_1, const Eigen::MatrixXd& X,
                                           const Eigen::MatrixXd& phi, int P);
// docs/theory.md 6 by Monte Carlo over w ~ N(0, I_n0): mean and standard error per entry.
void single_layer_mc_theory(const ModelSpec& m, const KernelTensor& K0_1, const Eigen::MatrixXd& X,
                            const Eigen::MatrixXd& phi, int P, long draws, std::uint64_t seed,
                            KernelTensor& mean, KernelTensor& se);

TheoryResult compute_theory(const ModelSpec& m, const Dataset& d, const Config& c);
// Every layer's kernels restricted to the selection (what a run with that selection measures).
TheoryResult restrict_theory(const TheoryResult& th, const KernelSelection& s);

}  // namespace fwmc
