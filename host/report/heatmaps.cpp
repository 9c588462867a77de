// The sweep's kernel heatmaps (as in the paper's Figs 3-4): per layer, the NNGP kernel, the measured posterior
// mean, the theory and measured minus NNGP, over one block of entries at one width.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "fwmc/sweep_report.hpp"
#include "host/report/sweep_parts.hpp"

namespace fwmc {

std::vector<std::size_t> heatmap_inputs(const std::vector<std::vector<double>>& targets, std::size_t most) {
  const std::size_t n = std::min(most, targets.size());
  std::vector<std::size_t> idx(n), cls(n, 0);
  bool one_hot = n > 0;
  for (std::size_t a = 0; a < n; ++a) {
    idx[a] = a;
    int ones = 0;
    for (std::size_t k = 0; k < targets[a].size(); ++k) {
      const double v = targets[a][k];
      if (v == 1.0) {
        ++ones;
        cls[a] = k;
      } else if (v != 0.0) {
        one_hot = false;
      }
    }
    one_hot = one_hot && ones == 1;
  }
  if (one_hot) std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return cls[a] < cls[b]; });
  return idx;
}

HeatmapSet heatmap_block(int layer, int width, const std::vector<std::size_t>& shape, const std::vector<double>& nngp,
                         const std::vector<double>& mean, const std::vector<double>& theory,
                         const std::vector<std::size_t>& inputs) {
  HeatmapSet h;
  h.layer = layer;
  h.width = width;
  if (shape.size() < 2 || inputs.empty()) return h;
  const std::size_t N = shape[1];
  for (std::size_t a : inputs)
    if (a >= N) return h;         // not an input of this kernel: no heatmap rather than a read past its end
  std::vector<std::size_t> flat;  // the block's flat indices, row-major
  if (shape.size() == 4) {        // cnn (N, N, D, D): the first shown input against itself, every position pair
    const std::size_t D = shape[2], a = inputs[0];
    h.rows = h.cols = static_cast<int>(D);
    for (std::size_t i = 0; i < D; ++i)
      for (std::size_t j = 0; j < D; ++j) flat.push_back(((a * N + a) * D + i) * D + j);
    h.what = "K(a,a)_{ij} of input " + std::to_string(a) + " over positions i, j";
  } else {  // fcn (N, N), or a cnn's spatial diagonal (N, N, D) at the middle position
    const std::size_t D = shape.size() == 3 ? shape[2] : 1, c = D / 2;
    h.rows = h.cols = static_cast<int>(inputs.size());
    for (std::size_t a : inputs)
      for (std::size_t b : inputs) flat.push_back((a * N + b) * D + c);
    h.what = std::to_string(inputs.size()) + " inputs" + (shape.size() == 3 ? " at the middle position" : "");
  }
  for (std::size_t f : flat) {
    h.nngp.push_back(nngp[f]);
    h.exp.push_back(mean[f]);
    h.th.push_back(theory[f]);
  }
  return h;
}

namespace {

void write_matrix(const std::string& path, const HeatmapSet& h, int which) {
  std::ofstream f(path);
  for (int i = 0; i < h.rows; ++i) {
    for (int j = 0; j < h.cols; ++j) {
      const std::size_t k = static_cast<std::size_t>(i) * h.cols + j;
      const double v = which == 0 ? h.nngp[k] : which == 1 ? h.exp[k] : which == 2 ? h.th[k] : h.exp[k] - h.nngp[k];
      f << (j ? " " : "") << v;
    }
    f << "\n";
  }
}

}  // namespace

// The heatmaps of the widest width only.
std::vector<const HeatmapSet*> widest_heatmaps(const std::vector<HeatmapSet>& sets) {
  int widest = 0;
  for (const auto& h : sets)
    if (h.rows > 0) widest = std::max(widest, h.width);
  std::vector<const HeatmapSet*> out;
  for (const auto& h : sets)
    if (h.width == widest && h.rows > 0) out.push_back(&h);
  return out;
}

void write_heatmap_data(const std::string& pd, const std::vector<HeatmapSet>& sets) {
  std::filesystem::create_directories(pd);
  for (const HeatmapSet* h : widest_heatmaps(sets))
    for (int w = 0; w < 4; ++w)
      write_matrix(pd + "/heat_L" + std::to_string(h->layer) + "_" + std::to_string(w) + ".dat", *h, w);
}

void heatmap_plot(std::ostream& gp, const std::string& pd, const std::vector<HeatmapSet>& sets, const char* ext,
                  const std::string& dir) {
  const auto shown = widest_heatmaps(sets);
  if (shown.empty()) return;
  const char* titles[] = {"NNGP K^{(0)}", "measured <K>", "theory K_{th}", "measured - NNGP"};
  const std::size_t W = 1200, H = 60 + 290 * shown.size();
  gp << (ext[0] == 'p' ? "set terminal pngcairo font ',9' size " : "set terminal svg font 'sans,9' size ") << W << ","
     << H << "\nset output '" << dir << "/fig_heatmaps." << ext << "'\n";
  gp << "set multiplot layout " << shown.size() << ",4 title noenhanced 'kernels at width " << shown[0]->width << ", "
     << shown[0]->what << "'\nunset key\nunset grid\nunset xtics\nunset ytics\nset size ratio -1\n"
     << "set xrange [-0.5:" << shown[0]->cols - 0.5 << "]\nset yrange [" << shown[0]->rows - 0.5
     << ":-0.5]\nset cbtics format '%.2g'\nset xlabel ''\nset ylabel ''\n";
  for (const HeatmapSet* h : shown) {
    double lo = 1e300, hi = -1e300, m = 0;
    for (std::size_t k = 0; k < h->nngp.size(); ++k) {
      for (double v : {h->nngp[k], h->exp[k], h->th[k]}) lo = std::min(lo, v), hi = std::max(hi, v);
      m = std::max(m, std::abs(h->exp[k] - h->nngp[k]));
    }
    for (int w = 0; w < 4; ++w) {
      if (w < 3)
        gp << "set palette rgb 33,13,10\nset cbrange [" << lo << ":" << hi << "]\n";
      else
        gp << "set palette defined (-1 '#2166ac', 0 'white', 1 '#b2182b')\nset cbrange [" << -m << ":" << m << "]\n";
      gp << "set title 'layer " << h->layer << ": " << titles[w] << "'\nplot '" << pd << "/heat_L" << h->layer << "_"
         << w << ".dat' matrix with image\n";
    }
  }
  gp << "unset multiplot\nset size noratio\nset autoscale xy\nset xtics\nset ytics\nset cbtics format '% h'\nset "
        "grid\n";
}

}  // namespace fwmc
