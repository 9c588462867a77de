#include "host/samplers/metropolis.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "kernels/shared/philox.cuh"

namespace fwmc {

template <class T>
MetropolisProposal<T>::MetropolisProposal(Potential<T>& pot, std::uint64_t seed, int kernel_sums)
    : pot_(pot), be_(pot.backend()), seed_(seed), C_(pot.chains()) {
  theta_ = Buffer<T, T>(be_, pot.state_size());
  grad_ = Buffer<T, T>(be_, pot.state_size());
  take_ = Buffer<std::uint8_t, T>(be_, C_);
  stats_ = Buffer<double, T>(be_, static_cast<std::size_t>(2 + kernel_sums) * C_);
}

template <class T>
std::vector<double> MetropolisProposal<T>::collect() {
  const std::vector<double> h = stats_.download();
  pot_.U_from_sums(h.data(), U_);
  return std::vector<double>(h.begin() + 2 * static_cast<std::ptrdiff_t>(C_), h.end());
}

template <class T>
void MetropolisProposal<T>::accept(long it, const std::vector<double>& log_alpha,
                                   const std::vector<std::uint8_t>& reject, ChainState<T>& state, StepInfo& info) {
  std::vector<std::uint8_t> take(C_);
  const std::uint64_t chain0 = pot_.blocks()[0].layout.chain0;
  for (int c = 0; c < C_; ++c) {
    info.nonfinite[c] = !std::isfinite(U_[c]);
    const bool bad = info.nonfinite[c] || !std::isfinite(log_alpha[c]) || reject[c];
    const double a = bad ? 0.0 : std::min(1.0, std::exp(log_alpha[c]));
    const shared::RngKey key{seed_, chain0 + c,
                             shared::stream_of(static_cast<std::uint64_t>(it) + 1, shared::kPurposeAccept)};
    const double u = shared::uniform_open0<double>(shared::philox_block(key, 0).v[0]);
    info.accept_prob[c] = a;
    take[c] = !bad && u <= a;
    info.accepted[c] = take[c];
    if (take[c]) state.U[c] = U_[c];
  }
  // Copy whichever is fewer: the accepted chains' proposals into the state, or the rejected chains' state into
  // the proposal before the two swap places (the next step rewrites the proposal buffers either way).
  long accepted = 0;
  for (int c = 0; c < C_; ++c) accepted += take[c];
  const bool swap = 2 * accepted > C_;
  if (swap)
    for (auto& t : take) t = !t;
  if (swap ? accepted < C_ : accepted > 0) {
    be_.to_device(take_.data(), take.data(), C_);
    Buffer<T, T>& x_from = swap ? state.theta : theta_;
    Buffer<T, T>& x_to = swap ? theta_ : state.theta;
    Buffer<T, T>& g_from = swap ? state.grad : grad_;
    Buffer<T, T>& g_to = swap ? grad_ : state.grad;
    for (const auto& b : pot_.blocks()) {
      be_.select(b.layout, take_.data(), x_from.data() + b.offset, x_to.data() + b.offset);
      be_.select(b.layout, take_.data(), g_from.data() + b.offset, g_to.data() + b.offset);
    }
  }
  if (swap) {
    std::swap(state.theta, theta_);
    std::swap(state.grad, grad_);
  }
}

template class MetropolisProposal<float>;
template class MetropolisProposal<double>;

}  // namespace fwmc
