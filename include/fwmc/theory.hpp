// Infinite-width (NNGP) kernels and the leading-order 1/width posterior correction (docs/theory.md 2-6), host double.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "fwmc/config.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/group_estimate.hpp"
#include "fwmc/kernel_tensor.hpp"
#include "fwmc/model_spec.hpp"

namespace fwmc {

// E[phi(u) phi(v)] for (u, v) ~ N(0, [[s11, s12], [s12, s22]]).
double activation_kernel(Activation a, double s11, double s22, double s12);
// 2-D Gauss-Hermite expectation of phi(u) phi(v) with n x n nodes (reference for the closed forms).
double gauss_hermite_kernel(Activation a, double s11, double s22, double s12, int n = 64);
// Nodes and weights of n-point Gauss-Hermite (physicists', weight exp(-x^2)).
void gauss_hermite_rule(int n, std::vector<double>& nodes, std::vector<double>& weights);
// Gauss-Legendre nodes and weights on [-1, 1].
void gauss_legendre_rule(int n, std::vector<double>& nodes, std::vector<double>& weights);

// K_0 over all N inputs of X (N x d): G for fcn, x_{a,i} . x_{b,j} / c_0 for cnn.
KernelTensor input_kernel(const ModelSpec& m, const Eigen::MatrixXd& X);
// K^(0)_0 .. K^(0)_L over all N inputs of X (N x d).
std::vector<KernelTensor> nngp_kernels(const ModelSpec& m, const Eigen::MatrixXd& X);
// K^(0)_0 .. K^(0)_L restricted to a kernel selection.
std::vector<KernelTensor> selected_nngp(const ModelSpec& m, const Eigen::MatrixXd& X, const KernelSelection& sel);
// Per layer l = 1..L+1 (the readout last), the smallest and largest diagonal entry over the inputs X of its
// pre-activation variance sigma_l^2 K^(0)_{l-1} and (hidden layers) of K^(0)_l, from the diagonal recursion alone
// (cnn: bounds over the positions). Cheap: it checks that a config's kernels are representable before anything
// runs.
struct DiagonalRange {
  double lo, hi;
};
std::vector<DiagonalRange> nngp_diagonal_ranges(const ModelSpec& m, const Eigen::MatrixXd& X);

// Gamma = K_out(T,T) + I/beta and Phi = Gamma^{-1} (G_yy - Gamma) Gamma^{-1} (docs/theory.md 3). beta = 0: Phi = 0.
struct PhiResult {
  Eigen::MatrixXd gamma, phi;
  double gamma_cond = 1.0;
};
PhiResult compute_phi(const ModelSpec& m, const KernelTensor& K_L, int P, const Eigen::MatrixXd& Y, double beta);

// Independent batches a Monte Carlo theory keeps its draws in: their spread gives the SE of a norm of the theory.
constexpr int kTheoryGroups = 32;

struct LayerTheory {
  int layer = 0;
  KernelTensor nngp, theory, theory_se;  // theory_se empty (v.size()==0) for closed forms
  GroupMeans theory_groups;              // a Monte Carlo theory's independent batches (norm SEs); empty if exact
  bool has_theory = false;
};

struct TheoryResult {
  std::vector<LayerTheory> layers;  // l = 1..L
  PhiResult phi;
  std::string method;  // e.g. "closed_form:deep_linear_fcn"
  std::vector<std::string> warnings;
  // The expansion's regime: sum_l n_d / n_l and r L / n_min, with r the rank of the training inputs' Gram matrix
  // (at most P, and at most n0 - 1 for centred inputs: 99 for centred 10x10 images, whatever P is).
  double sum_nd_over_n = 0, p_depth_over_n = 0;
  int data_rank = 0;
  long draws = 0;
};

// Closed forms (inputs: NNGP kernels, Phi). Each returns the posterior kernel of layers 1..L.
std::vector<KernelTensor> deep_linear_fcn_theory(const ModelSpec& m, const std::vector<KernelTensor>& K0,
                                                 const Eigen::MatrixXd& phi, int P);
std::vector<KernelTensor> deep_linear_cnn_theory(const ModelSpec& m, const std::vector<KernelTensor>& K0,
                                                 const Eigen::MatrixXd& phi, int P, bool propagated);
// Both forms (section 5: propagated, and the original code's unpropagated one) from one set of Phi contractions,
// the costly part (N^2 D^3 P multiply-adds per layer).
struct CnnTheoryForms {
  std::vector<KernelTensor> propagated, unpropagated;
};
CnnTheoryForms deep_linear_cnn_theory_forms(const ModelSpec& m, const std::vector<KernelTensor>& K0,
                                            const Eigen::MatrixXd& phi, int P, bool propagated = true,
                                            bool unpropagated = true);
KernelTensor quadratic_single_layer_theory(const ModelSpec& m, const KernelTensor& K0_1, const Eigen::MatrixXd& X,
                                           const Eigen::MatrixXd& phi, int P);
// docs/theory.md 6 by Monte Carlo over w ~ N(0, I_n0): mean and standard error per entry, and (when groups is
// given) the estimates of consecutive batches of the draws, for the SEs of norms.
void single_layer_mc_theory(const ModelSpec& m, const KernelTensor& K0_1, const Eigen::MatrixXd& X,
                            const Eigen::MatrixXd& phi, int P, long draws, std::uint64_t seed, KernelTensor& mean,
                            KernelTensor& se, GroupMeans* groups = nullptr);

// Batches of i.i.d. prior networks' feature kernels, as the theory consumes them. The theory owns this interface
// and never builds networks itself: the caller hands it a factory (oracle/prior_draws.hpp runs them on a backend).
class PriorKernelSource {
 public:
  virtual ~PriorKernelSource() = default;
  virtual int batch() const = 0;  // networks per draw()
  virtual int rows() const = 0;   // D N: each kernel is rows x rows
  // Batch number `index` (global network ids index * batch + k): per layer, batch() kernels back to back.
  virtual const std::vector<std::vector<double>>& draw(long index, std::uint64_t seed) = 0;
  // The spatial trace (1/D) sum_i K_L(a,b)_ii over the training inputs of network k of the last draw (P x P).
  virtual Eigen::MatrixXd readout_gram(int k) const = 0;
};
// Makes a source that draws `batch` networks at a time.
using PriorSourceFactory = std::function<std::unique_ptr<PriorKernelSource>(int batch)>;

// What compute_theory takes from a config ([theory] and [posterior]), typed once.
struct TheoryOptions {
  TheoryMethod method = TheoryMethod::automatic;
  CnnForm cnn_form = CnnForm::propagated;
  long draws = 200000;  // Monte Carlo draws where the theory needs them
  std::uint64_t seed = 7;
  double beta = 1.0;
  std::string source;  // the config's name, for messages
};
TheoryOptions theory_options(const Config& c);

// The theory the options ask for (theory.method). `prior` feeds the prior-moment theory (theory.method =
// "prior_moments", and "auto" for deep nonlinear nets); backend_prior_source() in prior_draws.hpp makes one.
TheoryResult compute_theory(const ModelSpec& m, const Dataset& d, const TheoryOptions& o,
                            const PriorSourceFactory& prior = {});
// Every layer's kernels restricted to the selection (what a run with that selection measures).
TheoryResult restrict_theory(const TheoryResult& th, const KernelSelection& s);

}  // namespace fwmc
