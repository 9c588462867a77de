// Width-scaling analysis: weighted log-log fits and the sweep's table, figures and report.
#pragma once
#include <array>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace fwmc {

struct SlopeFit {
  double slope = 0, slope_se = 0, intercept = 0, chi2_per_dof = 0;
  int points = 0;
  double next = 0, next_se = 0;  // fit_loglog_next_order: c of the (1 + c / x) factor
};

// Weighted least squares of log y = a + b log x with sd(log y) = y_se / y; points with y <= 0 are skipped.
SlopeFit fit_loglog(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& y_se);
// The same with the next order of the expansion: y = e^a x^b (1 + c / x) (Gauss-Newton, from c = 0): b is the
// leading exponent once the O(1/x^2) term of a 1/x law is fitted (needs at least 4 points).
SlopeFit fit_loglog_next_order(const std::vector<double>& x, const std::vector<double>& y,
                               const std::vector<double>& y_se);

// One row of sweep.csv.
struct SweepRow {
  int width = 0, repeat = 0, layer = 0;
  int layer_width = 0;  // this layer's own width (a bottleneck layer keeps its width while the sweep's n grows)
  double dK_exp = 0, dK_exp_se = 0, dK_th = 0, exp_minus_th = 0, exp_minus_th_se = 0, residual_bc = 0, rel_err = 0;
  double dK_exp_bc = 0;  // sqrt(max(0, ||dK_exp||^2 - sum MCSE^2)): the norm without its noise's bias (fitted)
  double noise = 0;      // sqrt(sum MCSE^2 + sum theory SE^2): the norm that pure noise would have
  double frob_mcse = 0;  // sqrt(sum MCSE^2) of the kernel entries
  double rhat_max = 0, rhat_nested_max = 0, drift_z_max = 0, ess_bulk_min = 0, seconds = 0;
  // The expansion's regime at this width (theory.json): rank(G) L / n_min and sum_l n_d / n_l (NaN if unknown).
  double rank_depth_over_n = 0, sum_nd_over_n = 0;
  // Linear cnn with theory.compare_cnn_forms: ||K_th - K0|| of the original code's unpropagated form, and each
  // form's distance from the measurement in MCSE units (NaN otherwise).
  double dK_th_unprop = 0, dist_prop = 0, dist_unprop = 0;
  bool has_cnn_forms = false;
};

// Per-(layer, width) entries of dK_exp and dK_th for the scatter figure (at most ~20,000, evenly strided), and
// for cnn the selected entries (n_entries x {dK_exp, MCSE, dK_th}); shape is the kernel file's shape ((N, N),
// (N, N, D, D) or diagonal (N, N, D)).
struct ScatterSet {
  int layer = 0, width = 0;
  std::vector<double> exp, th;
  std::vector<std::array<double, 3>> entries;
  std::vector<std::size_t> shape;
};

// One layer's kernels at one width over a block of entries, for the heatmap figure: fcn, up to 100 inputs (in
// class order when the targets are one-hot); cnn, the positions x positions block of the first input.
struct HeatmapSet {
  int layer = 0, width = 0, rows = 0, cols = 0;
  std::vector<double> nngp, exp, th;  // row-major rows x cols
  std::string what;                   // what the block is, for the figure's caption
};
// The inputs a heatmap shows: the first `most` rows, ordered by class when every target row is one-hot.
std::vector<std::size_t> heatmap_inputs(const std::vector<std::vector<double>>& targets, std::size_t most);
// The heatmap block of a kernel of this shape (flat arrays as in the .npy files).
HeatmapSet heatmap_block(int layer, int width, const std::vector<std::size_t>& shape, const std::vector<double>& nngp,
                         const std::vector<double>& mean, const std::vector<double>& theory,
                         const std::vector<std::size_t>& inputs);

// What report.md says about the sweep besides its numbers.
struct SweepContext {
  std::string title;  // [sweep] title
  bool cnn = false;
};

// A cnn kernel entry K(a,b)_ij shown in the selected-entries figure: its flat index and a label.
struct KernelEntry {
  std::size_t index = 0;
  std::string label;
};
// A few telling entries of a cnn kernel of this shape: same position and neighbouring positions, one input
// and two inputs. Empty for fcn shapes.
std::vector<KernelEntry> cnn_figure_entries(const std::vector<std::size_t>& shape);

// sweep.csv's columns of a row, by name (what the Python API's rows hold).
std::vector<std::pair<std::string, double>> sweep_row_fields(const SweepRow& r);
// sweep.json: the log-log fits of every layer.
nlohmann::ordered_json sweep_summary_json(const std::vector<SweepRow>& rows);

// Writes sweep.csv, sweep.json, the figures (gnuplot, PNG and SVG) and report.md into dir.
// Returns false (and says why in `note`) when gnuplot is not available; the table and fits are written anyway.
bool write_sweep_report(const std::string& dir, const std::vector<SweepRow>& rows,
                        const std::vector<ScatterSet>& scatter, const std::vector<HeatmapSet>& heatmaps,
                        const SweepContext& context, std::string& note);

}  // namespace fwmc
