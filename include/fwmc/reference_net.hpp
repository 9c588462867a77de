// A plain double-precision forward pass over one network, written for clarity, not speed. It defines the
// model of docs/theory.md 1 independently of the batched backends: the synthetic teacher and tests use it.
#pragma once
#include <random>
#include <vector>

#include <Eigen/Dense>

#include "fwmc/model_spec.hpp"

namespace fwmc {

// Weights of one network. fcn layer l: n_l x n_{l-1} (row = output unit). cnn layer l: c_l x (|S| c_{l-1}),
// column s*c_{l-1}+beta. Readout: n_d x (D n_L) with column i*n_L+alpha (position-major flatten).
struct NetWeights {
  std::vector<Eigen::MatrixXd> W;  // W[0] = layer 1, ..., W[L] = readout
};

NetWeights sample_prior(const ModelSpec& m, std::mt19937_64& rng);

// Activations h^l for l = 0..L for every input row of X (N x d); h^l is N x (D n_l), per example
// position-major (i*n_l + alpha), and the output f (N x n_d).
struct Forward {
  std::vector<Eigen::MatrixXd> h;
  Eigen::MatrixXd f;
};
Forward reference_forward(const ModelSpec& m, const NetWeights& w, const Eigen::MatrixXd& X);

// Feature kernel of layer l from activations: fcn (N x N); cnn returned as N*N blocks of D x D in
// a vector indexed ((a*N+b)*D+i)*D+j.
std::vector<double> feature_kernel(const ModelSpec& m, const Eigen::MatrixXd& h, int width);

double apply_activation(Activation a, double z);

}  // namespace fwmc
