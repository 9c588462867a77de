// cnn-specific comparisons: the spatial-trace part of each layer's kernel (what the readout sees), and the
// distance of the measured kernels to both forms of docs/theory.md 5 (propagated vs the unpropagated shortcut).
#pragma once
#include <vector>

#include "fwmc/compare.hpp"
#include "fwmc/run_sampling.hpp"

namespace fwmc {

std::vector<LayerComparison> spatial_trace_comparisons(const TheoryResult& th, const RunResult& r);

struct CnnFormDistance {
  int layer = 0;
  double propagated = 0, unpropagated = 0;  // ||<K>_exp - K_th|| / ||MCSE|| (1 = noise level)
  double max_z_propagated = 0, max_z_unpropagated = 0;
  double dK_propagated = 0, dK_unpropagated = 0;  // ||K_th - K0|| of each form (the sweep draws both)
};
// Deep linear cnn only (the closed forms); empty otherwise.
// th: the full (unrestricted) theory; sel: the entries the run accumulated.
std::vector<CnnFormDistance> cnn_form_distances(const ModelSpec& m, const TheoryResult& th, const RunResult& r,
                                                const KernelSelection& sel = {});

}  // namespace fwmc
