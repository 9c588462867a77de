// A network on a Backend whose hidden activations the estimators read: fcn or cnn. Per chain, layer l's
// activations are a (rows x width_l) column-major matrix with rows = D * N ordered position-major (row i * N + a),
// so that layer l's kernel over all inputs and positions is H H^T / width_l and the readout's flatten is a
// (N x D width_L) view of the same memory.
#pragma once
#include <memory>
#include <vector>

#include "fwmc/data.hpp"
#include "fwmc/model.hpp"
#include "fwmc/potential.hpp"

namespace fwmc {

template <class T>
class FeatureModel : public Potential<T> {
 public:
  // Forward pass only (fills hidden()); loss per chain into `loss` when given.
  virtual void forward(const T* theta, std::vector<double>* loss = nullptr) = 0;
  virtual const T* hidden(int l) const = 0;  // l = 1..L, all chains
  // The same buffer, writable: scratch that the next forward pass overwrites (the accumulator zeroes dropped chains).
  virtual T* mutable_hidden(int l) = 0;
  virtual const T* output() const = 0;       // f: per chain N x n_d
  virtual const ModelSpec& spec() const = 0;
  virtual int N() const = 0;
  virtual int P() const = 0;
  int positions() const { return spec().positions(); }
  int rows() const { return N() * positions(); }
};

// One parameter block per layer (readout last), each holding that layer's weights of every chain.
std::vector<ParamBlock> layer_param_blocks(const ModelSpec& m, int chains, std::uint64_t chain0);

// The prior's share of U and grad U, then U = beta/2 loss + prior energy per chain (energy: scratch, one per chain).
template <class T>
void add_prior_and_total(Backend<T>& be, const std::vector<ParamBlock>& blocks, const T* theta, T* grad,
                         double* energy, const std::vector<double>& loss, double beta, std::vector<double>& U);

template <class T>
std::unique_ptr<FeatureModel<T>> make_feature_model(Backend<T>& be, const ModelSpec& m, const Dataset& d, double beta,
                                                    int chains, std::uint64_t chain0);

}  // namespace fwmc
