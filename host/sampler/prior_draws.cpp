#include "fwmc/prior_draws.hpp"

#include "fwmc/interrupt.hpp"

namespace fwmc {

PriorKernelDraws::PriorKernelDraws(Backend<double>& be, const ModelSpec& m, const Dataset& d, int batch)
    : be_(be), m_(m), B_(batch), N_(d.N()), model_(be, m, d, 0.0, batch, 0),
      theta_(be, model_.state_size()), kern_(be, static_cast<std::size_t>(batch) * d.N() * d.N()),
      K_(m.depth()) {}

const std::vector<std::vector<double>>& PriorKernelDraws::draw(long index, std::uint64_t seed) {
  throw_if_interrupted();
  for (const auto& blk : model_.blocks()) {
    ChainBlock lay = blk.layout;
    lay.chain0 = static_cast<std::uint64_t>(index) * B_;
    be_.normal_scaled(lay, blk.prior_std, seed, shared::stream_of(0, shared::kPurposeInit), theta_.data() + blk.offset);
  }
  model_.forward(theta_.data());
  const long NN = static_cast<long>(N_) * N_;
  for (int l = 1; l <= m_.depth(); ++l) {
    const int n = m_.widths[l - 1];
    be_.gemm(false, true, N_, N_, n, 1.0 / n, model_.hidden(l), N_, static_cast<long>(N_) * n, model_.hidden(l), N_,
             static_cast<long>(N_) * n, 0.0, kern_.data(), N_, NN, B_);
    K_[l - 1] = kern_.download();
  }
  return K_;
}

}  // namespace fwmc
