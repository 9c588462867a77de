#include "fwmc/sampler.hpp"

#include <cmath>

#include "fwmc/errors.hpp"
#include "kernels/shared/philox.cuh"

namespace fwmc {

Method parse_method(const std::string& s) {
  if (s == "ula") return Method::ula;
  if (s == "mala") return Method::mala;
  if (s == "hmc") return Method::hmc;
  throw InputError("[sampler] method = \"" + s + "\": must be ula|mala|hmc");
}

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
Sampler<T>::Sampler(Potential<T>& pot, SamplerSettings s) : pot_(pot), be_(pot.backend()), s_(std::move(s)), C_(pot.chains()) {
  const long n = pot.state_size();
  state_.theta = Buffer<T, T>(be_, n);
  state_.grad = Buffer<T, T>(be_, n);
  prop_ = Buffer<T, T>(be_, n);
  prop_grad_ = Buffer<T, T>(be_, n);
  if (s_.method == Method::hmc) momentum_ = Buffer<T, T>(be_, n);
  step_dev_ = Buffer<double, T>(be_, C_);
  acc_a_ = Buffer<double, T>(be_, C_);
  acc_b_ = Buffer<double, T>(be_, C_);
  take_ = Buffer<std::uint8_t, T>(be_, C_);
  if (s_.mass.empty()) s_.mass.assign(pot.blocks().size(), 1.0);
  if (s_.mass.size() != pot.blocks().size()) throw InputError("[sampler] mass: needs one entry per layer");
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
  if (s_.target_accept > 0) return s_.target_accept;
  return s_.method == Method::hmc ? 0.8 : 0.574;
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
  switch (s_.method) {
    case Method::ula: step_ula(it); break;
    case Method::mala: step_mala(it); break;
    case Method::hmc: step_hmc(it); break;
  }
  // MALA and HMC reject non-finite proposals (exact: U = inf has acceptance 0), so their states stay finite;
  // ULA moves unconditionally, so its weights and gradient are checked too.
  check_state(s_.method == Method::ula);
  return info_;
}

template <class T>
void Sampler<T>::check_state(bool weights) {
  std::vector<std::uint8_t> flag(C_, 0);
  if (weights) {
    be_.fill_zero(take_.data(), C_);
    for (const auto& b : pot_.blocks()) {
      be_.nonfinite(b.layout, state_.theta.data() + b.offset, take_.data());
      be_.nonfinite(b.layout, state_.grad.data() + b.offset, take_.data());
    }
    be_.to_host(flag.data(), take_.data(), C_);
  }
  for (int c = 0; c < C_; ++c) info_.bad_state[c] = flag[c] || !std::isfinite(state_.U[c]);
}

template <class T>
void Sampler<T>::step_ula(long it) {
  const std::uint32_t stream = shared::stream_of(static_cast<std::uint64_t>(it) + 1, shared::kPurposeNoise);
  for (const auto& b : pot_.blocks())
    be_.langevin_propose(b.layout, state_.theta.data() + b.offset, state_.grad.data() + b.offset, step_dev_.data(),
                         s_.seed, stream, prop_.data() + b.offset);
  std::swap(state_.theta, prop_);
  pot_.evaluate(state_.theta.data(), state_.grad.data(), state_.U);
  for (int c = 0; c < C_; ++c) {
    info_.nonfinite[c] = !std::isfinite(state_.U[c]);
    info_.accept_prob[c] = 1.0;
    info_.accepted[c] = 1;
  }
}

template <class T>
void Sampler<T>::step_mala(long it) {
  const std::uint32_t stream = shared::stream_of(static_cast<std::uint64_t>(it) + 1, shared::kPurposeNoise);
  const auto& blocks = pot_.blocks();
  for (const auto& b : blocks)
    be_.langevin_propose(b.layout, state_.theta.data() + b.offset, state_.grad.data() + b.offset, step_dev_.data(),
                         s_.seed, stream, prop_.data() + b.offset);
  pot_.evaluate(prop_.data(), prop_grad_.data(), prop_U_);
  be_.fill_zero(acc_a_.data(), sizeof(double) * C_);
  be_.fill_zero(acc_b_.data(), sizeof(double) * C_);
  for (const auto& b : blocks) {
    // forward: ||theta' - theta + h g(theta)||^2 ; backward: ||theta - theta' + h g(theta')||^2
    be_.mala_q(b.layout, prop_.data() + b.offset, state_.theta.data() + b.offset, state_.grad.data() + b.offset,
               step_dev_.data(), acc_a_.data());
    be_.mala_q(b.layout, state_.theta.data() + b.offset, prop_.data() + b.offset, prop_grad_.data() + b.offset,
               step_dev_.data(), acc_b_.data());
  }
  std::vector<double> qf = acc_a_.download(), qb = acc_b_.download(), log_alpha(C_);
  for (int c = 0; c < C_; ++c)
    log_alpha[c] = -(prop_U_[c] - state_.U[c]) + (qf[c] - qb[c]) / (4 * step_[c]);
  accept_reject(it, log_alpha);
}

template <class T>
void Sampler<T>::step_hmc(long it) {
  const std::uint32_t stream = shared::stream_of(static_cast<std::uint64_t>(it) + 1, shared::kPurposeNoise);
  const auto& blocks = pot_.blocks();
  be_.fill_zero(acc_a_.data(), sizeof(double) * C_);
  for (std::size_t k = 0; k < blocks.size(); ++k) {
    const auto& b = blocks[k];
    be_.normal_scaled(b.layout, std::sqrt(s_.mass[k]), s_.seed, stream, momentum_.data() + b.offset);
    be_.sum_squares(b.layout, momentum_.data() + b.offset, 0.5 / s_.mass[k], acc_a_.data());
  }
  const std::vector<double> K0 = acc_a_.download();
  // Leapfrog: half kick, drift, gradient, half kick, with each step's closing half kick done together with the next
  // step's opening one and its drift (the same operations in the same order, one pass over memory). The first
  // drift reads the current state, so the trajectory starts without copying it.
  for (int s = 0; s < s_.leapfrog_steps; ++s) {
    const T* g = s == 0 ? state_.grad.data() : prop_grad_.data();
    const T* x = s == 0 ? state_.theta.data() : prop_.data();
    for (std::size_t k = 0; k < blocks.size(); ++k) {
      const auto& b = blocks[k];
      be_.kick_drift(b.layout, g + b.offset, step_dev_.data(), s == 0 ? 1 : 2, 1.0 / s_.mass[k],
                     momentum_.data() + b.offset, x + b.offset, prop_.data() + b.offset);
    }
    pot_.evaluate(prop_.data(), prop_grad_.data(), prop_U_);
  }
  for (const auto& b : blocks)
    be_.kick(b.layout, prop_grad_.data() + b.offset, step_dev_.data(), 0.5, momentum_.data() + b.offset);
  be_.fill_zero(acc_b_.data(), sizeof(double) * C_);
  for (std::size_t k = 0; k < blocks.size(); ++k)
    be_.sum_squares(blocks[k].layout, momentum_.data() + blocks[k].offset, 0.5 / s_.mass[k], acc_b_.data());
  const std::vector<double> K1 = acc_b_.download();
  std::vector<double> log_alpha(C_);
  for (int c = 0; c < C_; ++c) {
    const double dH = prop_U_[c] + K1[c] - state_.U[c] - K0[c];
    info_.divergent[c] = !std::isfinite(dH) || dH > s_.divergence_threshold;
    log_alpha[c] = -dH;
  }
  accept_reject(it, log_alpha);
}

template <class T>
void Sampler<T>::accept_reject(long it, const std::vector<double>& log_alpha) {
  std::vector<std::uint8_t> take(C_);
  const std::uint64_t chain0 = pot_.blocks()[0].layout.chain0;
  for (int c = 0; c < C_; ++c) {
    info_.nonfinite[c] = !std::isfinite(prop_U_[c]);
    const bool bad = info_.nonfinite[c] || !std::isfinite(log_alpha[c]) ||
                     (s_.method == Method::hmc && info_.divergent[c]);
    const double a = bad ? 0.0 : std::min(1.0, std::exp(log_alpha[c]));
    const shared::RngKey key{s_.seed, chain0 + c, shared::stream_of(static_cast<std::uint64_t>(it) + 1, shared::kPurposeAccept)};
    const double u = shared::uniform_open0<double>(shared::philox_block(key, 0).v[0]);
    info_.accept_prob[c] = a;
    take[c] = !bad && u <= a;
    info_.accepted[c] = take[c];
    if (take[c]) state_.U[c] = prop_U_[c];
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
    Buffer<T, T>& x_from = swap ? state_.theta : prop_;
    Buffer<T, T>& x_to = swap ? prop_ : state_.theta;
    Buffer<T, T>& g_from = swap ? state_.grad : prop_grad_;
    Buffer<T, T>& g_to = swap ? prop_grad_ : state_.grad;
    for (const auto& b : pot_.blocks()) {
      be_.select(b.layout, take_.data(), x_from.data() + b.offset, x_to.data() + b.offset);
      be_.select(b.layout, take_.data(), g_from.data() + b.offset, g_to.data() + b.offset);
    }
  }
  if (swap) {
    std::swap(state_.theta, prop_);
    std::swap(state_.grad, prop_grad_);
  }
}

template <class T>
void Sampler<T>::adapt_step_sizes() {
  if (!s_.adapt || s_.method == Method::ula) return;
  const double target = target_accept();
  for (int c = 0; c < C_; ++c) step_[c] = da_[c].update(info_.accept_prob[c], target);
  upload_steps();
}

template <class T>
void Sampler<T>::freeze_step_sizes() {
  if (!s_.adapt || s_.method == Method::ula) return;
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
