// The conditional Stein field's per-draw statistic (docs/theory.md 12), one part of the kernel accumulator: for each
// hidden layer of a nonlinear fcn, per chain, the field's estimate of K_l over the selected inputs, summed per chain
// group. Its inputs come from the model's last error_signals pass and the accumulator's own GEMMs.
#pragma once
#include <cstdint>
#include <vector>

#include "fwmc/backend.hpp"
#include "fwmc/model_spec.hpp"
#include "fwmc/stein_field.hpp"

namespace fwmc {

template <class T>
class FieldAccumulator {
 public:
  // Rs selected rows, Tc training rows, the widest layer wmax; the tables go to the backend once.
  FieldAccumulator(Backend<T>& be, const SteinFieldData& data, const ModelSpec& m, int chains, int groups, int Rs,
                   int Tc, int wmax);

  // Layer l's operands, per chain (stride 0: one for every chain).
  struct Layer {
    int l = 0, n = 0;
    const T* kin;  // K_{l-1}(selected, training) (Rs x Tc, ld Rs)
    long kin_stride;
    const T* err;  // delta^l, training rows first (ld, stride as the pre-activations')
    const T* u;    // z^l of the selected rows (ld R, stride R n)
    int ld;
    long stride;
    const T* in;  // the layer's input features of the selected rows: K_{l-1}(sel, sel) = scale in in^T
    int in_cols, in_ld;
    long in_stride;
    double in_scale;
  };
  // acc (G x Rs^2, double) += per chain group the field's estimate of K_l, and squares += its squares; chains with
  // alive[c] == 0 add nothing. Layers in order 1..L in one draw: layer l's estimate is corrected with layer l-1's
  // (the deep recursion, docs/theory.md 12).
  void add(const Layer& x, const std::vector<std::uint8_t>* alive, double* acc, double* squares);
  // squares += per group the squares of each chain's plain kernel of this draw, h h^T / n over the selected rows
  // (h: rows x n per chain, ld, stride), for the plain estimator's per-draw spread.
  void add_plain_squares(const T* h, int ld, long stride, int n, double* squares);

 private:
  Backend<T>& be_;
  const ModelSpec& m_;
  int C_, G_, Rs_, Tc_;
  int act_;
  shared::HermiteGrid xg_;
  shared::GTable g_;
  int relu_rows_ = 0;
  Buffer<double, T> relu_w1_;
  Buffer<float, T> g_nodes_;
  struct FixedLayer {
    Buffer<shared::FixedPair, T> pairs;
    Buffer<long, T> diag_offset;
    Buffer<double, T> diag_scale, nodes;
  };
  std::vector<FixedLayer> fixed_;
  struct Jacobian {
    Buffer<double, T> ab, aa, bb;
  };
  std::vector<Jacobian> jacobians_;
  Buffer<T, T> s_, sigma_, shared_sigma_, plain_;
  Buffer<double, T> out_, prev_, plain_d_;  // per chain, in double: far-out chains can exceed float
  bool shared_sigma_ready_ = false;
};

}  // namespace fwmc
