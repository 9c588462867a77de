// What a sampler sees of a model: its parameter layout and U(theta), grad U(theta) for all chains at once.
#pragma once
#include <vector>

#include "fwmc/backend.hpp"

namespace fwmc {

// A parameter block of the chain-batched state (one layer's weights of every chain): `offset` is where the
// block starts in the state array, `layout` how chains are laid out inside it, `prior_std` its prior scale.
struct ParamBlock {
  long offset = 0;
  ChainBlock layout;
  double prior_std = 1.0;
};

template <class T>
class Potential {
 public:
  virtual ~Potential() = default;
  virtual Backend<T>& backend() = 0;
  virtual int chains() const = 0;
  virtual const std::vector<ParamBlock>& blocks() const = 0;
  long state_size() const {
    long s = 0;
    for (const auto& b : blocks()) s += b.layout.size();
    return s;
  }
  // U per chain (host, double) and grad U (backend memory, same layout as theta).
  virtual void evaluate(const T* theta, T* grad, std::vector<double>& U) = 0;
  // grad U only, for steps that need no U (HMC's inner leapfrog steps): a model then copies nothing back to the
  // host. The default evaluates U too.
  virtual void evaluate_gradient(const T* theta, T* grad) {
    std::vector<double> U;
    evaluate(theta, grad, U);
  }
  // The deferred form, for a sampler that copies U back together with sums of its own in one copy: grad U now, and
  // per chain the loss and then the prior energy into `sums` (backend memory, 2 per chain); U_from_sums makes U of
  // them once they are on the host. The default evaluates U at once (a copy back of its own) and keeps it.
  virtual void evaluate_into_sums(const T* theta, T* grad, double* /*sums*/) { evaluate(theta, grad, deferred_U_); }
  virtual void U_from_sums(const double* /*host_sums*/, std::vector<double>& U) const { U = deferred_U_; }

 private:
  std::vector<double> deferred_U_;
};

}  // namespace fwmc
