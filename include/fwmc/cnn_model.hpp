// Convolutional network (cnn1d / cnn2d, docs/theory.md 1) over C chains on a Backend: circular padding, stride 1,
// convolutions as GEMMs over im2col patches, flatten + dense readout. Per chain, layer l's weights are
// Wt_l ((S c_{l-1}) x c_l, row s*c_{l-1} + beta) and the readout's rows are ordered alpha*D + i, so that the
// position-major activations (D N x c_L) are the readout's (N x D c_L) input without a copy. The first layer's
// patches are shared by all chains: one GEMM for its forward product and one for its weight gradient.
#pragma once
#include <vector>

#include "fwmc/feature_model.hpp"

namespace fwmc {

template <class T>
class CnnModel final : public FeatureModel<T> {
 public:
  CnnModel(Backend<T>& be, const ModelSpec& m, const Dataset& d, double beta, int chains, std::uint64_t chain0);

  void forward(const T* theta, std::vector<double>* loss = nullptr) override;
  void backward(const T* theta, T* grad, bool keep_signals) override;
  typename FeatureModel<T>::LayerInput layer_input(int l) override;

 private:
  int D_, S_;                // positions, window size
  Buffer<T, T> patches0_;    // first-layer patches (D N x S c0), shared
  Buffer<int, T> nb_, inv_;  // neighbour table and its inverse (D x S)
  Buffer<T, T> patches_, dpatches_;
  using Base = FeatureModel<T>;
  using Base::be_, Base::m_, Base::C_, Base::N_, Base::P_, Base::L_, Base::blocks_, Base::Y_;
  using Base::Z_, Base::H_, Base::Delta_, Base::F_, Base::dF_, Base::dA_, Base::dB_;
  void evaluate_into(const T* theta, T* grad, std::vector<double>* U) override;
  using Base::beta_, Base::sums_;
};

}  // namespace fwmc
