// sweep.csv, sweep.json, figures (gnuplot) and report.md of a width sweep.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fwmc/atomic_file.hpp"
#include "fwmc/sweep_report.hpp"
#include "host/report/sweep_parts.hpp"

namespace fwmc {

namespace {

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

std::string csv(const std::vector<SweepRow>& rows) {
  std::string s;
  for (const auto& r : rows) {
    const auto fields = sweep_row_fields(r);
    if (s.empty()) {  // the header
      for (std::size_t k = 0; k < fields.size(); ++k) s += (k ? "," : "") + fields[k].first;
      s += "\n";
    }
    for (std::size_t k = 0; k < fields.size(); ++k)  // width, repeat and layer are whole numbers
      s += (k ? "," : "") + (k < 3 ? std::to_string(static_cast<long>(fields[k].second)) : fmt(fields[k].second));
    s += "\n";
  }
  return s;
}

nlohmann::ordered_json fit_json(const SlopeFit& f) {
  return {{"slope", f.slope},
          {"slope_se", f.slope_se},
          {"intercept", f.intercept},
          {"points", f.points},
          {"chi2_per_dof", f.chi2_per_dof}};
}

// Figure (c), cnn only: n (K - K0) for a few entries against the width, measured with MCSE bars and the
// theory as lines. The leading order makes n dK_th (nearly) flat, so the approach to it is visible.
void cnn_entries_plot(std::ostream& gp, const std::string& pd, const std::vector<ScatterSet>& scatter,
                      const std::set<int>& layers, const char* ext, const std::string& dir) {
  gp << "set output '" << dir << "/fig_cnn_entries." << ext << "'\n";
  gp << "set multiplot layout 1," << layers.size() << "\nset logscale x\nset key outside bottom center\nset grid\n"
     << "set xlabel 'width n'\nset ylabel 'n (K - K^{(0)}) entry'\n";
  const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};
  for (int l : layers) {
    std::vector<KernelEntry> entries;
    for (const auto& s : scatter)
      if (s.layer == l) entries = cnn_figure_entries(s.shape);
    gp << "set title 'layer " << l << ": selected kernel entries'\nplot ";
    for (std::size_t e = 0; e < entries.size(); ++e) {
      const std::string d = "'" + pd + "/cnn_entries_L" + std::to_string(l) + ".dat'";
      const std::string c = colours[e % 4];
      gp << (e ? ", " : "") << d << " u 1:" << 2 + 3 * e << ":" << 3 + 3 * e << " w yerrorbars pt 7 lc rgb '" << c
         << "' t '" << entries[e].label << "', " << d << " u 1:" << 4 + 3 * e << " w l dt 2 lc rgb '" << c
         << "' notitle";
    }
    gp << "\n";
  }
  gp << "unset multiplot\nunset logscale\n";
}

}  // namespace

std::vector<KernelEntry> cnn_figure_entries(const std::vector<std::size_t>& shape) {
  if (shape.size() < 3) return {};
  const std::size_t N = shape[0], D = shape[2];
  const bool diag = shape.size() == 3;
  auto idx = [&](std::size_t a, std::size_t b, std::size_t i, std::size_t j) {
    return diag ? (a * N + b) * D + i : ((a * N + b) * D + i) * D + j;
  };
  auto label = [](std::size_t a, std::size_t b, std::size_t i, std::size_t j) {
    return "K(" + std::to_string(a) + "," + std::to_string(b) + ")_{" + std::to_string(i) + "," + std::to_string(j) +
           "}";
  };
  std::vector<KernelEntry> out = {{idx(0, 0, 0, 0), label(0, 0, 0, 0)}};
  if (N > 1) out.push_back({idx(0, 1, 0, 0), label(0, 1, 0, 0)});
  if (!diag && D > 1) {
    out.push_back({idx(0, 0, 0, 1), label(0, 0, 0, 1)});
    if (N > 1) out.push_back({idx(0, 1, 0, D / 2), label(0, 1, 0, D / 2)});
  } else if (D > 1) {
    out.push_back({idx(0, 0, D / 2, D / 2), label(0, 0, D / 2, D / 2)});
  }
  return out;
}

namespace {

// The log-log fits of every layer, as sweep.json's "fits", and into `fits` for the figures and the report.
nlohmann::ordered_json fit_layers(const std::vector<SweepRow>& rows, const std::set<int>& layers, Fits& fits) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (int l : layers) {
    std::vector<double> x, y, ys, xr, yr, yrs, xt, yt, yts, xg, yg, ygs;
    std::vector<int> noise_limited, regime;
    for (const auto& r : rows) {
      if (r.layer != l) continue;
      x.push_back(r.width);
      y.push_back(r.dK_exp_bc);
      ys.push_back(r.dK_exp_se);
      if (r.rank_depth_over_n <= 1 && r.sum_nd_over_n <= 0.2) {  // false for NaN (unknown)
        regime.push_back(r.width);
        xg.push_back(r.width);
        yg.push_back(r.dK_exp_bc);
        ygs.push_back(r.dK_exp_se);
      }
      xt.push_back(r.width);
      yt.push_back(r.dK_th);
      yts.push_back(0.0);
      // A residual is resolved when it stands twice above the noise floor; below that the bias-corrected value
      // mostly reflects the noise and would flatten the fitted slope.
      if (r.residual_bc > 2 * r.noise) {
        xr.push_back(r.width);
        yr.push_back(r.residual_bc);
        yrs.push_back(r.exp_minus_th_se);
      } else
        noise_limited.push_back(r.width);
    }
    const SlopeFit fe = fit_loglog(x, y, ys), fr = fit_loglog(xr, yr, yrs), ft = fit_loglog(xt, yt, yts);
    fits[l] = {fe, fr, fit_loglog_next_order(x, y, ys), {}, {}, regime};
    if (xg.size() >= 2) fits[l].regime = fit_loglog(xg, yg, ygs);
    if (xg.size() >= 4) fits[l].regime_next = fit_loglog_next_order(xg, yg, ygs);
    // For each noise-limited width: how many times the draws would resolve a 1/n^2 residual extrapolated from the
    // narrowest resolved width (noise falls like 1/sqrt(draws); resolving means residual > 2 noise).
    nlohmann::ordered_json more = nlohmann::ordered_json::array();
    if (!xr.empty())
      for (const auto& r : rows)
        if (r.layer == l && std::find(noise_limited.begin(), noise_limited.end(), r.width) != noise_limited.end()) {
          const double expect = yr[0] * std::pow(xr[0] / r.width, 2);
          more.push_back({{"width", r.width},
                          {"expected_residual", expect},
                          {"noise", r.noise},
                          {"draws_factor", std::pow(2 * r.noise / expect, 2)}});
        }
    const SlopeFit& fn = fits[l].next;
    nlohmann::ordered_json next = fit_json(fn);
    next["c"] = fn.next;
    next["c_se"] = fn.next_se;
    out.push_back({{"layer", l},
                   {"dK_exp", fit_json(fe)},
                   {"dK_exp_next_order", next},
                   {"regime_widths", regime},
                   {"dK_exp_in_regime", fit_json(fits[l].regime)},
                   {"dK_exp_in_regime_next_order", fit_json(fits[l].regime_next)},
                   {"residual_bias_corrected", fit_json(fr)},
                   {"dK_th", fit_json(ft)},
                   {"noise_limited_widths", noise_limited},
                   {"draws_needed_to_resolve", more}});
  }
  return out;
}

// sweep.json: every layer's fits and the slopes the theory expects.
nlohmann::ordered_json summary_json(const std::vector<SweepRow>& rows, const std::set<int>& layers, Fits& fits) {
  nlohmann::ordered_json j;
  j["fits"] = fit_layers(rows, layers, fits);
  j["expected"] = {{"dK_exp", -1.0}, {"residual_bias_corrected", -2.0}};
  j["claims"] = sweep_claims(rows, fits);
  return j;
}

// The figures' data files under pd; returns whether a cnn entry figure has data.
bool write_plot_data(const std::string& pd, const std::vector<SweepRow>& rows, const std::vector<ScatterSet>& scatter,
                     const std::set<int>& layers) {
  std::filesystem::create_directories(pd);
  for (int l : layers) {
    std::ofstream f(pd + "/deviation_L" + std::to_string(l) + ".dat");
    f << "# width dK_exp se dK_th residual_bc se noise dK_th_unpropagated (cnn; NaN otherwise)\n";
    for (const auto& r : rows)
      if (r.layer == l)
        f << r.width << " " << r.dK_exp << " " << r.dK_exp_se << " " << r.dK_th << " " << r.residual_bc << " "
          << r.exp_minus_th_se << " " << r.noise << " " << (r.has_cnn_forms ? r.dK_th_unprop : std::nan("")) << "\n";
  }
  for (const auto& s : scatter) {
    std::ofstream f(pd + "/scatter_L" + std::to_string(s.layer) + "_w" + std::to_string(s.width) + ".dat");
    for (std::size_t i = 0; i < s.exp.size(); ++i) f << s.th[i] << " " << s.exp[i] << "\n";
  }
  bool cnn = false;
  for (int l : layers) {
    std::vector<const ScatterSet*> sets;
    for (const auto& s : scatter)
      if (s.layer == l) sets.push_back(&s);
    if (sets.empty() || cnn_figure_entries(sets[0]->shape).empty()) continue;
    cnn = true;
    std::ofstream f(pd + "/cnn_entries_L" + std::to_string(l) + ".dat");
    f << "# width, then per entry: n dK_exp, n MCSE, n dK_th\n";
    for (const ScatterSet* s : sets) {
      f << s->width;
      for (const auto& e : s->entries) f << " " << s->width * e[0] << " " << s->width * e[1] << " " << s->width * e[2];
      f << "\n";
    }
  }
  return cnn;
}

// The deviation figure's gnuplot commands for one terminal.
void deviation_plot(std::ostream& gp, const std::string& pd, const std::set<int>& layers, Fits& fits, bool cnn_forms) {
  gp << "set multiplot layout 1," << layers.size() << "\nset logscale xy\nset key bottom left\nset grid\n"
     << "set xlabel 'width n'\nset ylabel 'Frobenius norm'\n";
  for (int l : layers) {
    const auto& f = fits[l];
    gp << "set title noenhanced sprintf('layer " << l << ": slopes %.2f +- %.2f (deviation), ";
    if (f.second.points >= 2)  // fewer than two widths resolve the residual above its noise: no slope to show
      gp << "%.2f +- %.2f (residual)', " << f.first.slope << ", " << f.first.slope_se << ", " << f.second.slope << ", "
         << f.second.slope_se << ")\n";
    else
      gp << "residual not resolved (bounded)', " << f.first.slope << ", " << f.first.slope_se << ")\n";
    const std::string d = "'" + pd + "/deviation_L" + std::to_string(l) + ".dat'";
    gp << "plot " << d << " u 1:2:3 w yerrorbars pt 7 lc rgb '#1f77b4' t '||<K>_{exp} - K^{(0)}||', " << d
       << " u 1:4 w lp dt 2 lc rgb '#1f77b4' t 'theory ||K_{th} - K^{(0)}||" << (cnn_forms ? " (propagated)" : "")
       << "', " << d
       << (cnn_forms ? " u 1:8 w lp dt 4 pt 6 lc rgb '#ff7f0e' t 'theory, unpropagated (original code)', " + d : "")
       << " u 1:($5>2*$7?$5:1/0):6 w yerrorbars pt 5 lc rgb '#d62728' t '||<K>_{exp} - K_{th}|| (bias-corrected)', "
       << d << " u 1:7 w lp dt 3 pt 1 lc rgb 'gray' t 'noise floor'";
    // A fitted line only where there was a fit (two points at least).
    if (f.first.points >= 2)
      gp << ", exp(" << f.first.intercept << ")*x**(" << f.first.slope << ") lc rgb '#1f77b4' t 'fit (deviation)'";
    if (f.second.points >= 2)
      gp << ", exp(" << f.second.intercept << ")*x**(" << f.second.slope << ") lc rgb '#d62728' t 'fit (residual)'";
    gp << "\n";
  }
  gp << "unset multiplot\nunset logscale\n";
}

// The gnuplot script of every figure, to PNG and SVG.
std::string gnuplot_script(const std::string& dir, const std::string& pd, const std::vector<ScatterSet>& scatter,
                           const std::vector<HeatmapSet>& heatmaps, const std::set<int>& layers, Fits& fits, bool cnn,
                           bool cnn_forms) {
  std::set<int> widths;
  for (const auto& s : scatter) widths.insert(s.width);
  std::ostringstream gp;
  const int L = static_cast<int>(layers.size());
  for (const char* term : {"pngcairo size 520*L,440 font ',10'", "svg size 520*L,440 font 'sans,10'"}) {
    const bool png = term[0] == 'p';
    std::string t = term;
    t.replace(t.find("520*L"), 5, std::to_string(520 * L));
    gp << "set terminal " << t << "\n";
    gp << "set output '" << dir << "/fig_deviation." << (png ? "png" : "svg") << "'\n";
    deviation_plot(gp, pd, layers, fits, cnn_forms);
    gp << "set output '" << dir << "/fig_scatter." << (png ? "png" : "svg") << "'\n";
    gp << "set multiplot layout 1," << L << "\nset key top left\nset xlabel 'theory dK_{th} entries'\n"
       << "set ylabel 'measured dK_{exp} entries'\n";
    for (int l : layers) {
      gp << "set title 'layer " << l << "'\nplot x lc rgb 'black' t 'identity'";
      for (int w : widths)
        gp << ", '" << pd << "/scatter_L" << l << "_w" << w << ".dat' u 1:2 w p pt 7 ps 0.5 t 'n = " << w << "'";
      gp << "\n";
    }
    gp << "unset multiplot\n";
    if (cnn) cnn_entries_plot(gp, pd, scatter, layers, png ? "png" : "svg", dir);
    heatmap_plot(gp, pd, heatmaps, png ? "png" : "svg", dir);
  }
  return gp.str();
}

// Runs gnuplot on the script; false (and why in `note`) when it is missing or fails.
bool render_figures(const std::string& pd, std::string& note) {
  if (std::system("gnuplot --version > /dev/null 2>&1") != 0) {
    note = "gnuplot not found: figures not rendered (install gnuplot-nox; the script is " + pd + "/figures.gp)";
    return false;
  }
  const bool ok = std::system(("gnuplot '" + pd + "/figures.gp' 2> '" + pd + "/gnuplot.log'").c_str()) == 0;
  if (!ok) note = "gnuplot failed; see " + pd + "/gnuplot.log";
  return ok;
}

std::string report_markdown(const std::vector<SweepRow>& rows, const std::set<int>& layers, Fits& fits, bool cnn,
                            bool heatmaps, const nlohmann::ordered_json& claims, const SweepContext& context,
                            const std::string& note) {
  std::ostringstream md;
  md << "# " << (context.title.empty() ? "fwmc width sweep" : context.title) << "\n\n";
  md << "Deviation from the NNGP kernel, ||<K>_exp - K0||, should fall like 1/n; the residual from the leading-order "
        "theory, ||<K>_exp - K_th||, like 1/n^2. Both norms are fitted bias-corrected: sqrt(max(0, ||.||^2 - sum "
        "MCSE^2)), since the noise of many entries adds sum MCSE^2 to a squared norm.\n\n";
  md << "| layer | slope dK_exp | slope dK_exp with its 1/n^2 term | slope residual | residual points |\n"
        "|---|---|---|---|---|\n";
  for (int l : layers)
    md << "| " << l << " | " << fmt(fits[l].first.slope) << " ± " << fmt(fits[l].first.slope_se) << " | "
       << (fits[l].next.points >= 4 ? fmt(fits[l].next.slope) + " ± " + fmt(fits[l].next.slope_se) : "n/a") << " | "
       << fmt(fits[l].second.slope) << " ± " << fmt(fits[l].second.slope_se) << " | " << fits[l].second.points
       << " |\n";
  md << "\nThe power law's slope over all widths feels the expansion's next order when the error bars are small; "
        "the fit y = a n^s (1 + c/n) measures the leading exponent s with it.\n\n";
  md << "\n![deviation vs width](fig_deviation.png)\n\n![measured vs theory entries](fig_scatter.png)\n\n";
  if (heatmaps) md << "![kernel heatmaps at the widest width](fig_heatmaps.png)\n\n";
  md << claims_markdown(claims, context);
  if (cnn)
    md << "Selected cnn kernel entries, scaled by the width (the theory's n dK is nearly flat in n; bars are MCSE):\n\n"
          "![selected cnn kernel entries](fig_cnn_entries.png)\n\n";
  md << "| width | layer | ||dK_exp|| | SE | ||dK_th|| | residual (bias-corr.) | rel_err | R-hat | ESS | s |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : rows)
    md << "| " << r.width << " | " << r.layer << " | " << fmt(r.dK_exp) << " | " << fmt(r.dK_exp_se) << " | "
       << fmt(r.dK_th) << " | " << fmt(r.residual_bc) << " | " << fmt(r.rel_err) << " | " << fmt(r.rhat_max) << " | "
       << fmt(r.ess_bulk_min) << " | " << fmt(r.seconds) << " |\n";
  if (!note.empty()) md << "\nNote: " << note << "\n";
  return md.str();
}

}  // namespace

nlohmann::ordered_json sweep_summary_json(const std::vector<SweepRow>& rows) {
  std::set<int> layers;
  for (const auto& r : rows) layers.insert(r.layer);
  Fits fits;
  return summary_json(rows, layers, fits);
}

std::vector<std::pair<std::string, double>> sweep_row_fields(const SweepRow& r) {
  return {{"width", r.width},
          {"repeat", r.repeat},
          {"layer", r.layer},
          {"frob_dK_exp", r.dK_exp},
          {"frob_dK_exp_se", r.dK_exp_se},
          {"frob_dK_exp_bias_corrected", r.dK_exp_bc},
          {"frob_dK_th", r.dK_th},
          {"frob_exp_minus_th", r.exp_minus_th},
          {"frob_exp_minus_th_se", r.exp_minus_th_se},
          {"residual_bias_corrected", r.residual_bc},
          {"rel_err", r.rel_err},
          {"rhat_max", r.rhat_max},
          {"rhat_nested_max", r.rhat_nested_max},
          {"drift_z_max", r.drift_z_max},
          {"frob_mcse", r.frob_mcse},
          {"layer_width", r.layer_width},
          {"ess_bulk_min", r.ess_bulk_min},
          {"seconds", r.seconds}};
}

bool write_sweep_report(const std::string& dir, const std::vector<SweepRow>& rows,
                        const std::vector<ScatterSet>& scatter, const std::vector<HeatmapSet>& heatmaps,
                        const SweepContext& context, std::string& note) {
  // sweep.json is the sweep's manifest: removed first and written last, so that it never stands beside a
  // half-written report.
  std::error_code ec;
  std::filesystem::remove(dir + "/sweep.json", ec);
  write_file_atomic(dir + "/sweep.csv", csv(rows));
  std::set<int> layers;
  for (const auto& r : rows) layers.insert(r.layer);
  Fits fits;
  const nlohmann::ordered_json j = summary_json(rows, layers, fits);
  // Figures: data files + one gnuplot script, rendered to PNG and SVG.
  const std::string pd = dir + "/plot_data";
  const bool cnn = write_plot_data(pd, rows, scatter, layers);
  write_heatmap_data(pd, heatmaps);
  bool cnn_forms = false;
  for (const auto& r : rows) cnn_forms = cnn_forms || r.has_cnn_forms;
  write_file_atomic(pd + "/figures.gp", gnuplot_script(dir, pd, scatter, heatmaps, layers, fits, cnn, cnn_forms));
  const bool figures = render_figures(pd, note);
  write_file_atomic(dir + "/report.md", report_markdown(rows, layers, fits, cnn, !widest_heatmaps(heatmaps).empty(),
                                                        j["claims"], context, note));
  write_file_atomic(dir + "/sweep.json", j.dump(2) + "\n");
  return figures;
}

}  // namespace fwmc
