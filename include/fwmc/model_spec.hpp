// Architecture spec shared by theory, sampler and data: sizes, activation, priors.
#pragma once
#include <string>
#include <vector>

#include "fwmc/config.hpp"
#include "kernels/shared/activation.cuh"

namespace fwmc {

inline const char* activation_name(Activation a) { return name_of(a); }

struct ModelSpec {
  Arch arch = Arch::fcn;
  Activation activation = Activation::linear;
  std::vector<int> widths;    // n_1..n_L (channels for cnn)
  std::vector<double> sigma;  // sigma_1..sigma_{L+1}
  int window = 1;             // cnn window extent per axis (odd)
  std::vector<int> spatial;   // cnn: {D} or {H, W}; fcn: empty
  int in_channels = 0;        // n0 (fcn) or c0 (cnn)
  int n_out = 1;              // n_d
  Evaluation evaluation = Evaluation::automatic;

  int depth() const { return static_cast<int>(widths.size()); }
  int positions() const;    // D (1 for fcn)
  int window_size() const;  // |S| (1 for fcn)
  int layer_width(int l) const { return l == 0 ? in_channels : widths[l - 1]; }
  // Spatial offsets of the window as flat position shifts, computed per position (circular padding).
  // neighbor(i, s) = index of position i + offset s (mod size per axis).
  int neighbor(int i, int s) const;
  // Number of weights of layer l = 1..L+1 (readout last).
  long layer_params(int l) const;
  long total_params() const;
};

// Multiply-adds per chain of one U + grad U evaluation, through the layers or through the weight products, for P
// training examples; uses_weight_product() is the choice Evaluation::automatic makes.
double layers_evaluation_flops(const ModelSpec& m, int P);
double product_evaluation_flops(const ModelSpec& m, int P);
bool uses_weight_product(const ModelSpec& m, int P);

// Builds the spec from the config plus the data's per-example input shape ({n0}, {D, c0} or {H, W, c0}).
ModelSpec make_model_spec(const ModelConfig& m, const std::vector<int>& input_shape, int n_out);

}  // namespace fwmc
