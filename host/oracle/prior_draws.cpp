#include "fwmc/prior_draws.hpp"

#include "fwmc/device_select.hpp"
#include "fwmc/interrupt.hpp"

namespace fwmc {

PriorKernelDraws::PriorKernelDraws(Backend<double>& be, const ModelSpec& m, const Dataset& d, int batch)
    : be_(be),
      m_(m),
      B_(batch),
      N_(d.N()),
      P_(d.P),
      D_(m.positions()),
      R_(d.N() * m.positions()),
      model_(make_feature_model<double>(be, m, d, 0.0, batch, 0)),
      theta_(be, model_->state_size()),
      kern_(be, static_cast<std::size_t>(batch) * R_ * R_),
      K_(m.depth()) {}

Eigen::MatrixXd PriorKernelDraws::readout_gram(int k) const {
  const double* K = K_[m_.depth() - 1].data() + static_cast<std::size_t>(k) * R_ * R_;
  Eigen::MatrixXd g = Eigen::MatrixXd::Zero(P_, P_);
  for (int b = 0; b < P_; ++b)
    for (int a = 0; a < P_; ++a)
      for (int i = 0; i < D_; ++i)
        g(a, b) += K[(static_cast<std::size_t>(i) * N_ + a) + static_cast<std::size_t>(R_) * (i * N_ + b)];
  return g / D_;
}

const std::vector<std::vector<double>>& PriorKernelDraws::draw(long index, std::uint64_t seed) {
  throw_if_interrupted();
  for (const auto& blk : model_->blocks()) {
    ChainBlock lay = blk.layout;
    lay.chain0 = static_cast<std::uint64_t>(index) * B_;
    be_.normal_scaled(lay, blk.prior_std, seed, shared::stream_of(0, shared::kPurposeInit), theta_.data() + blk.offset);
  }
  model_->forward(theta_.data());
  const long RR = static_cast<long>(R_) * R_;
  for (int l = 1; l <= m_.depth(); ++l) {
    const int n = m_.widths[l - 1];
    const auto H = packed(model_->hidden(l), R_, n);
    be_.gemm(1.0 / n, H, H.t(), 0.0, matrices(kern_.data(), R_, R_, R_, RR), B_);
    K_[l - 1] = kern_.download();
  }
  return K_;
}

namespace {

// A PriorKernelDraws together with the backend it runs on.
class OwningPriorDraws final : public PriorKernelSource {
 public:
  OwningPriorDraws(std::unique_ptr<Backend<double>> be, const ModelSpec& m, const Dataset& d, int batch)
      : be_(std::move(be)), draws_(*be_, m, d, batch) {}
  int batch() const override { return draws_.batch(); }
  int rows() const override { return draws_.rows(); }
  const std::vector<std::vector<double>>& draw(long index, std::uint64_t seed) override {
    return draws_.draw(index, seed);
  }
  Eigen::MatrixXd readout_gram(int k) const override { return draws_.readout_gram(k); }

 private:
  std::unique_ptr<Backend<double>> be_;
  PriorKernelDraws draws_;
};

}  // namespace

PriorSourceFactory backend_prior_source(const DeviceChoice& dev, const ModelSpec& m, const Dataset& d) {
  return [dev, &m, &d](int batch) -> std::unique_ptr<PriorKernelSource> {
    return std::make_unique<OwningPriorDraws>(make_backend<double>(dev), m, d, batch);
  };
}

}  // namespace fwmc
