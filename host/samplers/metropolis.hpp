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
  // kernel_sums: per-chain sums of the kernel's own (backend memory) copied back together with U'.
  MetropolisProposal(Potential<T>& pot, std::uint64_t seed, int kernel_sums = 0);
  T* theta() { return theta_.data(); }
  T* grad() { return grad_.data(); }
  const std::vector<double>& U() const { return U_; }
  void evaluate() { pot_.evaluate(theta_.data(), grad_.data(), U_); }
  void evaluate_gradient() { pot_.evaluate_gradient(theta_.data(), grad_.data()); }  // U() is then stale
  // grad U' now; U' comes back with the kernel's sums in collect(), in one copy.
  void evaluate_deferred() { pot_.evaluate_into_sums(theta_.data(), grad_.data(), stats_.data()); }
  // The kernel's k-th per-chain sum, in backend memory.
  double* kernel_sums(int k) { return stats_.data() + static_cast<std::size_t>(2 + k) * C_; }
  // One copy back: sets U() and returns the kernel's sums (the k-th at [k C, (k + 1) C)).
  std::vector<double> collect();
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
  Buffer<double, T> stats_;  // the potential's loss and prior energy, then the kernel's sums
  std::vector<double> U_;
};

}  // namespace fwmc
