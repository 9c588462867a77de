// A network on a Backend whose hidden activations the estimators read: fcn or cnn. Per chain, layer l's
// activations are a (rows x width_l) column-major matrix with rows = D * N ordered position-major (row i * N + a),
// so that layer l's kernel over all inputs and positions is H H^T / width_l and the readout's flatten is a
// (N x D width_L) view of the same memory.
#pragma once
#include <memory>
#include <vector>

#include "fwmc/dataset.hpp"
#include "fwmc/model_spec.hpp"
#include "fwmc/potential.hpp"

namespace fwmc {

// U = beta/2 loss + prior energy per chain from sums on the host (C chains: the losses, then the energies).
void total_U(const double* host_sums, int C, double beta, std::vector<double>& U);

template <class T>
class FeatureModel : public Potential<T> {
 public:
  // Potential's evaluations, all through evaluate_into: U is copied back only when asked for, and its sums (the
  // loss and the prior energy per chain) stay in sums_ for evaluate_into_sums.
  void evaluate(const T* theta, T* grad, std::vector<double>& U) override { evaluate_into(theta, grad, &U); }
  void evaluate_gradient(const T* theta, T* grad) override { evaluate_into(theta, grad, nullptr); }
  void evaluate_into_sums(const T* theta, T* grad, double* sums) override {
    evaluate_into(theta, grad, nullptr);
    this->backend().copy(sums, sums_.data(), sizeof(double) * 2 * this->chains());
  }
  void U_from_sums(const double* host_sums, std::vector<double>& U) const override {
    total_U(host_sums, this->chains(), beta_, U);
  }

  // Forward pass only (fills hidden()); loss per chain into `loss` when given.
  virtual void forward(const T* theta, std::vector<double>* loss = nullptr) = 0;
  const T* hidden(int l) const { return H_[l].data(); }  // l = 1..L, all chains
  const T* output() const { return F_.data(); }          // f: per chain N x n_d
  // Zeroes chain c's activations, pre-activations, outputs and error signals (a dropped chain adds nothing to the
  // estimators; the next pass overwrites them).
  void clear_chain(int c);

  // Backward pass after forward(): parameter gradients into grad unless it is null; with keep_signals, every
  // layer's error signal delta^l = d(beta L)/dz^l is kept for error_signal().
  virtual void backward(const T* theta, T* grad, bool keep_signals) = 0;
  // What the Stein estimators (docs/theory.md 11) read: the forward pass and a backward pass without parameter
  // gradients that keeps the error signals.
  void error_signals(const T* theta, std::vector<double>* loss = nullptr) {
    forward(theta, loss);
    backward(theta, nullptr, true);
  }
  // z^l of all chains (same layout as hidden(l)); delta^l after error_signals (rows of test inputs are zero).
  const T* preactivation(int l) const { return Z_[l].data(); }
  const T* error_signal(int l) const { return Delta_[l].data(); }
  // d(beta L)/df per chain (N x n_d; rows of test inputs zero): the readout's error signal.
  const T* output_error() const { return dF_.data(); }
  // The features entering layer l, per chain a (rows x cols) column-major matrix F with K_in = scale F F^T:
  // fcn h^{l-1} (x for l = 1; l = L + 1: the readout's), cnn the im2col patches of h^{l-1}, so that
  // scale F F^T = A K_{l-1}.
  // stride 0: shared by every chain (layer 1). May compute into a scratch buffer (valid until the next pass).
  struct LayerInput {
    const T* data;
    int cols;
    long stride;
    double scale;
  };
  virtual LayerInput layer_input(int l) = 0;
  Backend<T>& backend() final { return be_; }
  int chains() const final { return C_; }
  const std::vector<ParamBlock>& blocks() const final { return blocks_; }
  const ModelSpec& spec() const { return m_; }
  int N() const { return N_; }
  int P() const { return P_; }
  int positions() const { return spec().positions(); }
  int rows() const { return N() * positions(); }

 protected:
  // Allocates what every model keeps (below) for `chains` chains with parameters numbered from chain0.
  FeatureModel(Backend<T>& be, const ModelSpec& m, const Dataset& d, double beta, int chains, std::uint64_t chain0);

  Backend<T>& be_;
  ModelSpec m_;
  int C_, N_, P_, L_;  // chains, inputs (train + test), training inputs, hidden layers
  std::vector<ParamBlock> blocks_;
  Buffer<T, T> Y_;  // targets, P x n_d column-major
  // Per chain, filled by the derived model: for layers l = 1..L (index 0 unused) the pre-activations Z,
  // activations H and error signals Delta ((rows x n_l) each; Delta allocated by keep_signals() when first kept),
  // the outputs F with their error dF (N x n_d), and two backward scratch buffers dA, dB (rows x the widest layer,
  // inputs included).
  std::vector<Buffer<T, T>> Z_, H_, Delta_;
  Buffer<T, T> F_, dF_, dA_, dB_;
  // U and grad U of every chain (add_prior_and_total), U copied back into *U when U is given.
  virtual void evaluate_into(const T* theta, T* grad, std::vector<double>* U) = 0;
  double beta_;
  Buffer<double, T> sums_;  // per chain: the loss, then the prior energy (add_prior_and_total)
  // Allocates Delta_ like Z_ (once), before a backward pass keeps the error signals.
  void keep_signals();
};

// One parameter block per layer (readout last), each holding that layer's weights of every chain.
std::vector<ParamBlock> layer_param_blocks(const ModelSpec& m, int chains, std::uint64_t chain0);

// The prior's share of grad U and U; with U given, U = beta/2 loss + prior energy per chain. `sums` (backend, 2 per
// chain) holds the loss per chain, and the prior energy goes after it, so U takes one copy back to the host.
template <class T>
void add_prior_and_total(Backend<T>& be, const std::vector<ParamBlock>& blocks, const T* theta, T* grad, double* sums,
                         double beta, std::vector<double>* U);
template <class T>
std::unique_ptr<FeatureModel<T>> make_feature_model(Backend<T>& be, const ModelSpec& m, const Dataset& d, double beta,
                                                    int chains, std::uint64_t chain0);

}  // namespace fwmc
