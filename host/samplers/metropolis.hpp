// What the Metropolis-adjusted kernels (MALA, HMC) share: a proposal (theta', grad U', U') and the accept/reject
// step that moves the accepted proposals into the chains' state.
#pragma once
#include <cstdint>
#include <vector>

#include "fwmc/transition.hpp"

namespace fwmc {

template <class T>
class MetropolisProposal {
 public:
  MetropolisProposal(Potential<T>& pot, std::uint64_t seed);
  T* theta() { return theta_.data(); }
  T* grad() { return grad_.data(); }
  const std::vector<double>& U() const { return U_; }
  void evaluate() { pot_.evaluate(theta_.data(), grad_.data(), U_); }
  void evaluate_gradient() { pot_.evaluate_gradient(theta_.data(), grad_.data()); }  // U() is then stale
  // Chain c takes its proposal with probability min(1, exp(log_alpha[c])), never when reject[c] or its U' or
  // log_alpha[c] is not finite; fills accept_prob, accepted and nonfinite.
  void accept(long it, const std::vector<double>& log_alpha, const std::vector<std::uint8_t>& reject,
              ChainState<T>& state, StepInfo& info);

 private:
  Potential<T>& pot_;
  Backend<T>& be_;
  std::uint64_t seed_;
  int C_;
  Buffer<T, T> theta_, grad_;
  Buffer<std::uint8_t, T> take_;
  std::vector<double> U_;
};

}  // namespace fwmc
