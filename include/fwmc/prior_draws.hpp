// Batches of i.i.d. prior networks on a backend, with every layer's feature kernel per draw. Shared by the
// exact oracle (docs/theory.md 8) and the prior-moment theory (docs/theory.md 7).
#pragma once
#include <cstdint>
#include <vector>

#include <memory>
#include "fwmc/backend.hpp"
#include "fwmc/dataset.hpp"

#include <Eigen/Dense>

#include "fwmc/device_select.hpp"
#include "fwmc/feature_model.hpp"
#include "fwmc/theory.hpp"

namespace fwmc {

class PriorKernelDraws final : public PriorKernelSource {
 public:
  PriorKernelDraws(Backend<double>& be, const ModelSpec& m, const Dataset& d, int batch);
  // Draws batch number `index` (global ids index * batch + k, so every draw has its own random stream) and
  // returns, per layer, `batch` kernels of (D N) x (D N) (see kernel_order) back to back on the host.
  const std::vector<std::vector<double>>& draw(long index, std::uint64_t seed) override;
  // The spatial trace (1/D) sum_i K_L(a,b)_ii over training inputs of draw k of the last batch (P x P).
  Eigen::MatrixXd readout_gram(int k) const override;
  int batch() const override { return B_; }
  int rows() const override { return R_; }

 private:
  Backend<double>& be_;
  const ModelSpec& m_;
  int B_, N_, P_, D_, R_;
  std::unique_ptr<FeatureModel<double>> model_;
  Buffer<double, double> theta_, kern_;
  std::vector<std::vector<double>> K_;
};

// Prior draws for compute_theory: on device `dev`, in double. The models and the data must outlive it.
PriorSourceFactory backend_prior_source(const DeviceChoice& dev, const ModelSpec& m, const Dataset& d);

}  // namespace fwmc
