// Fully connected network over C chains on a Backend: forward over train + test inputs, U and grad U.
// Per chain, layer l's weights are stored transposed, Wt_l = W_l^T (n_{l-1} x n_l, column-major), so that
// activations are (N x n_l) column-major per chain and the first layer of all chains is one GEMM.
#pragma once
#include <vector>

#include "fwmc/dataset.hpp"
#include "fwmc/feature_model.hpp"
#include "fwmc/model_spec.hpp"
#include "fwmc/potential.hpp"

namespace fwmc {

template <class T>
class FcnModel final : public FeatureModel<T> {
 public:
  FcnModel(Backend<T>& be, const ModelSpec& m, const Dataset& d, double beta, int chains, std::uint64_t chain0);

  // Forward pass only (fills hidden()); loss per chain into `loss` when given.
  void forward(const T* theta, std::vector<double>* loss = nullptr) override;
  void backward(const T* theta, T* grad, bool keep_signals) override;
  typename FeatureModel<T>::LayerInput layer_input(int l) override;
  // Whether evaluate() goes through the weight products (ModelSpec::evaluation); forward() and backward() always
  // go through the layers, since the estimators need every layer's activations.
  bool weight_product() const { return product_; }

 private:
  void evaluate_product(const T* theta, T* grad, std::vector<double>* U);

  Buffer<T, T> X_;  // N x n0 column-major
  using Base = FeatureModel<T>;
  using Base::be_, Base::m_, Base::C_, Base::N_, Base::P_, Base::L_, Base::blocks_, Base::Y_;
  using Base::Z_, Base::H_, Base::Delta_, Base::F_, Base::dF_, Base::dA_, Base::dB_;
  bool product_ = false;
  std::vector<Buffer<T, T>> A_, E_;  // weight products: A_l = s_l Wt_l ... s_{L+1} Wt_{L+1}, E_l (n_{l-1} x n_d)
  void evaluate_into(const T* theta, T* grad, std::vector<double>* U) override;
  using Base::beta_, Base::sums_;
};

}  // namespace fwmc
