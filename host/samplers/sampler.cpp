#include "fwmc/sampler.hpp"

#include <cmath>

#include "fwmc/errors.hpp"
#include "kernels/shared/philox.cuh"

namespace fwmc {

double DualAveraging::update(double alpha, double target) {
  constexpr double gamma = 0.05, t0 = 10, kappa = 0.75;
  ++t;
  const double w = 1.0 / (t + t0);
  h_bar = (1 - w) * h_bar + w * (target - alpha);
  log_h = mu - std::sqrt(double(t)) / gamma * h_bar;
  const double eta = std::pow(double(t), -kappa);
  log_h_bar = eta * log_h + (1 - eta) * log_h_bar;
  return std::exp(log_h);
}

template <class T>
Sampler<T>::Sampler(Potential<T>& pot, SamplerSettings s)
    : pot_(pot), be_(pot.backend()), s_(std::move(s)), C_(pot.chains()) {
  if (s_.mass.empty()) s_.mass.assign(pot.blocks().size(), 1.0);
  if (s_.mass.size() != pot.blocks().size()) throw InputError("[sampler] mass: needs one entry per layer");
  kernel_ = find_sampler(s_.method).make(pot, s_);
  const long n = pot.state_size();
  state_.theta = Buffer<T, T>(be_, n);
  state_.grad = Buffer<T, T>(be_, n);
  step_dev_ = Buffer<double, T>(be_, C_);
  flags_ = Buffer<std::uint8_t, T>(be_, C_);
  step_.assign(C_, s_.step_size);
  da_.resize(C_);
  for (auto& d : da_) d.init(s_.step_size);
  upload_steps();
  info_.accept_prob.assign(C_, 1.0);
  info_.accepted.assign(C_, 1);
  info_.divergent.assign(C_, 0);
  info_.nonfinite.assign(C_, 0);
  info_.bad_state.assign(C_, 0);
}

template <class T>
double Sampler<T>::target_accept() const {
  return s_.target_accept > 0 ? s_.target_accept : kernel_->default_target_accept();
}

template <class T>
void Sampler<T>::upload_steps() {
  be_.to_device(step_dev_.data(), step_.data(), sizeof(double) * C_);
}

template <class T>
void Sampler<T>::set_step_sizes(const std::vector<double>& h) {
  step_ = h;
  upload_steps();
}

template <class T>
void Sampler<T>::init_from_prior() {
  for (const auto& b : pot_.blocks())
    be_.normal_scaled(b.layout, b.prior_std, s_.seed, shared::stream_of(0, shared::kPurposeInit),
                      state_.theta.data() + b.offset);
  pot_.evaluate(state_.theta.data(), state_.grad.data(), state_.U);
  check_state(true);
}

template <class T>
const StepInfo& Sampler<T>::step(long it) {
  StepInputs in;
  in.it = it;
  in.step = &step_;
  in.step_dev = step_dev_.data();
  kernel_->step(state_, in, info_);
  // MALA and HMC reject non-finite proposals (exact: U = inf has acceptance 0), so their states stay finite;
  // ULA moves unconditionally, so its weights and gradient are checked too.
  check_state(kernel_->may_leave_finite());
  return info_;
}

template <class T>
void Sampler<T>::check_state(bool weights) {
  std::vector<std::uint8_t> flag(C_, 0);
  if (weights) {
    be_.fill_zero(flags_.data(), C_);
    for (const auto& b : pot_.blocks()) {
      be_.nonfinite(b.layout, state_.theta.data() + b.offset, flags_.data());
      be_.nonfinite(b.layout, state_.grad.data() + b.offset, flags_.data());
    }
    be_.to_host(flag.data(), flags_.data(), C_);
  }
  for (int c = 0; c < C_; ++c) info_.bad_state[c] = flag[c] || !std::isfinite(state_.U[c]);
}

template <class T>
void Sampler<T>::adapt_step_sizes() {
  if (!s_.adapt || !kernel_->adapts()) return;
  const double target = target_accept();
  for (int c = 0; c < C_; ++c) step_[c] = da_[c].update(info_.accept_prob[c], target);
  upload_steps();
}

template <class T>
void Sampler<T>::freeze_step_sizes() {
  if (!s_.adapt || !kernel_->adapts()) return;
  for (int c = 0; c < C_; ++c) step_[c] = da_[c].final_step();
  upload_steps();
}

template <class T>
void Sampler<T>::save(CheckpointData& ck, const std::string& prefix) const {
  ck.put(prefix + "theta", state_.theta.download());
  ck.put(prefix + "grad", state_.grad.download());
  ck.put(prefix + "U", state_.U);
  ck.put(prefix + "step", step_);
  ck.put(prefix + "dual_averaging", da_);
}

template <class T>
void Sampler<T>::load(const CheckpointData& ck, const std::string& prefix) {
  const auto theta = ck.get<T>(prefix + "theta"), grad = ck.get<T>(prefix + "grad");
  auto U = ck.get<double>(prefix + "U"), step = ck.get<double>(prefix + "step");
  auto da = ck.get<DualAveraging>(prefix + "dual_averaging");
  if (theta.size() != state_.theta.size() || grad.size() != theta.size() || U.size() != std::size_t(C_) ||
      step.size() != std::size_t(C_) || da.size() != std::size_t(C_))
    throw RuntimeError("checkpoint: the sampler state does not match this model and chain batch");
  state_.theta.upload(theta);
  state_.grad.upload(grad);
  state_.U = std::move(U);
  da_ = std::move(da);
  set_step_sizes(step);
}

template class Sampler<float>;
template class Sampler<double>;

}  // namespace fwmc
