// The last step of a sampling run: group sums -> the reported kernel estimates (plain or Stein, with the plain one
// and the Stein comparison beside it) and the spatial traces of the reported estimate.
#pragma once
#include <vector>

#include <Eigen/Dense>

#include "fwmc/run_sampling.hpp"
#include "fwmc/stein_estimator.hpp"

namespace fwmc {

// sums[k]: raw group sums of statistic k (accumulator order); X: all N inputs (for K_0).
void estimate_run(RunResult& r, const ModelSpec& m, const Eigen::MatrixXd& X, const KernelSelection& sel,
                  EstimatorChoice choice, const Statistics& st, int groups,
                  const std::vector<std::vector<double>>& sums, const std::vector<double>& counts);

}  // namespace fwmc
