// Pieces of the sweep's report shared between its files (host/report only).
#pragma once
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fwmc/sweep_report.hpp"

namespace fwmc {

// Per layer: the deviation's power-law fit, the residual's, and the deviation's with its next order.
struct LayerFits {
  SlopeFit first, second, next;
  // The deviation's fits over the widths inside the expansion's regime only (rank(G) L / n <= 1 and
  // sum n_d / n <= 0.2), without and with the next order; points = 0 when fewer than two widths are inside.
  SlopeFit regime, regime_next;
  std::vector<int> regime_widths;
};
using Fits = std::map<int, LayerFits>;

// Heatmaps (heatmaps.cpp): the widest width's sets, their data files and their gnuplot panels.
std::vector<const HeatmapSet*> widest_heatmaps(const std::vector<HeatmapSet>& sets);
void write_heatmap_data(const std::string& pd, const std::vector<HeatmapSet>& sets);
void heatmap_plot(std::ostream& gp, const std::string& pd, const std::vector<HeatmapSet>& sets, const char* ext,
                  const std::string& dir);

// The reproduction claims (sweep_claims.cpp): each claim with its measurement and a verdict, and the
// convergence of every width, as sweep.json's "claims" and as report.md's section.
nlohmann::ordered_json sweep_claims(const std::vector<SweepRow>& rows, const Fits& fits);
std::string claims_markdown(const nlohmann::ordered_json& claims, const SweepContext& context);

}  // namespace fwmc
