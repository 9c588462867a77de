// The conditional Stein field's closed forms and tables (docs/theory.md 12), built once per run on the host.
#include "fwmc/stein_field_tables.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "fwmc/reference_net.hpp"
#include "fwmc/theory.hpp"
#include "kernels/shared/normal_math.cuh"

namespace fwmc {

namespace {

using shared::HermiteGrid;

// Composite Gauss-Legendre over [lo, hi] in `panels` equal panels of 20 nodes.
template <class F>
double integrate(const F& f, double lo, double hi, int panels) {
  static std::vector<double> x, w;
  static std::once_flag once;
  std::call_once(once, [] { gauss_legendre_rule(20, x, w); });
  const double width = (hi - lo) / panels;
  double s = 0;
  for (int p = 0; p < panels; ++p) {
    const double a = lo + p * width;
    double q = 0;
    for (std::size_t k = 0; k < x.size(); ++k) q += w[k] * f(a + 0.5 * width * (x[k] + 1));
    s += 0.5 * width * q;
  }
  return s;
}

// E phi(mu + sigma Z) by Gauss-Hermite (erf has a closed form).
double gauss_mean(Activation a, double mu, double sigma) {
  if (a == Activation::erf) return std::erf(mu / std::sqrt(1 + 2 * sigma * sigma));
  std::vector<double> x, w;
  gauss_hermite_rule(64, x, w);
  double s = 0;
  for (std::size_t k = 0; k < x.size(); ++k) s += w[k] * apply_activation(a, mu + sigma * std::sqrt(2.0) * x[k]);
  return s / std::sqrt(M_PI);
}

// The universal G(mu, sigma', zeta) = S[t -> phi(mu + sigma' t)](zeta) of an activation, with the table of
// hbar(mu, sigma') = E phi(mu + sigma' Z) on the same (mu, sigma') grid.
struct GBuilt {
  std::vector<float> nodes;
  std::vector<double> hbar;  // [sigma'][mu]
  shared::GTable table;
};

const GBuilt& g_table(Activation a) {
  static std::mutex mu;
  static GBuilt erf_t, tanh_t;
  std::lock_guard<std::mutex> lock(mu);
  GBuilt& t = a == Activation::erf ? erf_t : tanh_t;
  if (!t.nodes.empty()) return t;
  t.table.zeta = HermiteGrid{-10.0, 0.1, 201};
  t.table.mu0 = -12, t.table.hmu = 0.1, t.table.nmu = 241, t.table.nsig = 41;  // sigma' = 0, 0.1, .., 4
  const int nz = t.table.zeta.n, nm = t.table.nmu, ns = t.table.nsig;
  t.nodes.assign(static_cast<std::size_t>(ns) * nm * nz * 2, 0.0f);
  t.hbar.assign(static_cast<std::size_t>(ns) * nm, 0.0);
#pragma omp parallel for schedule(dynamic)
  for (int col = 0; col < ns * nm; ++col) {
    const double sig = 0.1 * (col / nm), m0 = -12 + 0.1 * (col % nm);
    double mean = 0;
    const auto nodes =
        stein_solution_nodes([&](double s) { return apply_activation(a, m0 + sig * s); }, t.table.zeta, &mean);
    std::copy(nodes.begin(), nodes.end(), t.nodes.begin() + static_cast<long>(col) * nz * 2);
    t.hbar[col] = mean;
  }
  t.table.nodes = t.nodes.data();
  return t;
}

// hbar(mu, sigma') from the table (bilinear), or by quadrature beyond it.
double hbar(Activation a, const GBuilt& t, double mu, double sigma) {
  const auto& g = t.table;
  const double tm = (mu - g.mu0) / g.hmu, ts = sigma / 0.1;
  if (tm < 0 || tm > g.nmu - 1 || ts > g.nsig - 1) return gauss_mean(a, mu, sigma);
  const int j = std::min(static_cast<int>(tm), g.nmu - 2), k = std::min(static_cast<int>(ts), g.nsig - 2);
  const double wm = tm - j, ws = ts - k;
  const auto at = [&](int kk, int jj) { return t.hbar[static_cast<std::size_t>(kk) * g.nmu + jj]; };
  const double lo = at(k, j) + wm * (at(k, j + 1) - at(k, j)),
               hi = at(k + 1, j) + wm * (at(k + 1, j + 1) - at(k + 1, j));
  return lo + ws * (hi - lo);
}

const std::vector<double>& relu_table(int rows, const HermiteGrid& g) {
  static std::mutex mu;
  static std::vector<double> t;
  std::lock_guard<std::mutex> lock(mu);
  if (!t.empty()) return t;
  t.assign(static_cast<std::size_t>(rows) * g.n * 2, 0.0);
#pragma omp parallel for schedule(dynamic)
  for (int j = 0; j < rows; ++j) {
    const double rho = j == 0 ? 1.0 : (j == rows - 1 ? -1.0 : std::cos(j * M_PI / (rows - 1)));
    for (int k = 0; k < g.n; ++k) {
      const double x = g.x0 + k * g.h, w = relu_w1(x, rho);
      t[(static_cast<std::size_t>(j) * g.n + k) * 2] = w;
      t[(static_cast<std::size_t>(j) * g.n + k) * 2 + 1] = x * w + relu_m(x, rho) - relu_kappa(rho);
    }
  }
  return t;
}

// A pair with a zero input (its scale 0): a placeholder, never read, since the kernel's pair setup gives such a
// pair an exact 0 (phi(0) = 0 for every activation with a field) before it looks at the tables.
bool vanishing_pair(shared::FixedPair p, std::vector<shared::FixedPair>& pairs) {
  if (p.sa > 0 && p.sb > 0) return false;
  p.rho = 0, p.r = 1, p.gk = -1;
  pairs.push_back(p);
  return true;
}

FixedFieldLayer fixed_field(Activation a, const KernelTensor& K, double s2, const HermiteGrid& xg, const GBuilt& g) {
  FixedFieldLayer f;
  const int M = K.N;
  for (int i = 0; i < M; ++i) {
    const double s = std::sqrt(s2 * K.at(i, i));
    f.diag_scale.push_back(s);
    f.diag_offset.push_back(static_cast<long>(f.nodes.size()));
    const auto n = stein_solution_nodes([&](double t) { return std::pow(apply_activation(a, s * t), 2); }, xg);
    f.nodes.insert(f.nodes.end(), n.begin(), n.end());
  }
  for (int i = 0; i < M; ++i)
    for (int j = i + 1; j < M; ++j) {
      shared::FixedPair p{};
      p.sa = f.diag_scale[i], p.sb = f.diag_scale[j];
      if (vanishing_pair(p, f.pairs)) continue;
      p.rho = std::clamp(s2 * K.at(i, j) / (p.sa * p.sb), -1.0, 1.0);
      p.r = std::sqrt((1 - p.rho) * (1 + p.rho));
      p.gk = -1;
      if (p.r < 1e-9) {  // input j is input i (or its negative: erf and tanh are odd)
        p.same = p.rho > 0 ? 1 : -1;
        p.r = 1;
        f.pairs.push_back(p);
        continue;
      }
      const double sig = p.sb * p.r;
      if (sig < 0.1 * (g.table.nsig - 1)) {
        p.gk = static_cast<int>(sig / 0.1);
        p.gw = sig / 0.1 - p.gk;
      }
      p.w1 = static_cast<long>(f.nodes.size());
      const auto m = [&](double t) { return apply_activation(a, p.sa * t) * hbar(a, g, p.sb * p.rho * t, sig); };
      const auto n = stein_solution_nodes(m, xg);
      f.nodes.insert(f.nodes.end(), n.begin(), n.end());
      f.pairs.push_back(p);
    }
  return f;
}

// relu at layer 1, where Sigma is the data's for the whole run: per pair the exact w_1 as a quintic table (values,
// first derivatives and one-sided second derivatives from the Stein equation), so the short form F + tau is exact
// to the table's error (below 1e-11, tests) and equals K^(0)_1 to rounding at beta = 0.
FixedFieldLayer relu_fixed_field(const KernelTensor& K, double s2, const HermiteGrid& xg) {
  FixedFieldLayer f;
  const int M = K.N;
  for (int i = 0; i < M; ++i) {
    f.diag_scale.push_back(std::sqrt(s2 * K.at(i, i)));
    f.diag_offset.push_back(0);
  }
  for (int i = 0; i < M; ++i)
    for (int j = i + 1; j < M; ++j) {
      shared::FixedPair p{};
      p.sa = f.diag_scale[i], p.sb = f.diag_scale[j];
      if (vanishing_pair(p, f.pairs)) continue;
      p.rho = std::clamp(s2 * K.at(i, j) / (p.sa * p.sb), -1.0, 1.0);
      p.r = std::sqrt((1 - p.rho) * (1 + p.rho));
      p.gk = -1;
      if (p.r < 1e-9) {
        p.same = p.rho > 0 ? 1 : -1, p.r = 1;
        f.pairs.push_back(p);
        continue;
      }
      const double k = relu_kappa(p.rho), c = p.rho / p.r, theta = std::acos(p.rho);
      p.base = p.sa * p.sb * k;
      p.exact = theta < 0.2 || theta > M_PI - 0.2;
      if (!p.exact) {
        p.w1 = static_cast<long>(f.nodes.size());
        for (int n = 0; n < xg.n; ++n) {
          const double x = xg.x0 + n * xg.h, w = relu_w1(x, p.rho), d = x * w + relu_m(x, p.rho) - k;
          // w'' = w + x w' + m'(x), m'(x) = r E[relu(cx + Z)] + c x r Phi(cx) for x > 0 (0 below: a jump at 0).
          const double mp =
              x > 0 ? p.r * shared::relu_gauss_mean(c * x) + c * x * p.r * shared::normal_cdf(c * x) : 0.0;
          const double mp_right =
              x >= 0 ? p.r * shared::relu_gauss_mean(c * x) + c * x * p.r * shared::normal_cdf(c * x) : 0.0;
          f.nodes.insert(f.nodes.end(), {w, d, w + x * d + mp, w + x * d + mp_right});
        }
      }
      f.pairs.push_back(p);
    }
  return f;
}

}  // namespace

double owens_t_over_pdf(double h, double a) { return shared::owens_t_over_pdf(h, a); }

double relu_kappa(double rho) {
  rho = std::clamp(rho, -1.0, 1.0);
  return shared::relu_kappa(rho, std::sqrt((1 - rho) * (1 + rho)));
}

double relu_m(double x, double rho) {
  if (x <= 0 || rho <= -1) return 0;
  if (rho >= 1) return x * x;
  const double r = std::sqrt((1 - rho) * (1 + rho));
  return x * r * shared::relu_gauss_mean(rho / r * x);
}

double relu_w1(double x, double rho) {
  if (rho >= 1) return shared::relu_diag_field(x);
  if (rho <= -1) return 0;
  const double r = std::sqrt((1 - rho) * (1 + rho));
  return shared::relu_w1_exact(x, rho, r, rho / r, relu_kappa(rho));
}

std::vector<double> stein_solution_nodes(const std::function<double(double)>& h, const HermiteGrid& g, double* mean) {
  // Panels of the grid's step from -12 - (grid's own range) to +12: per panel int (h - E h) pdf by 8-point
  // Gauss-Legendre; S at a node from the tail on its own side (the other would divide a cancellation by pdf).
  static std::vector<double> gx, gw;
  static std::once_flag once;
  std::call_once(once, [] { gauss_legendre_rule(8, gx, gw); });
  const double lo = g.x0 - std::ceil((g.x0 + 12) / g.h) * g.h;  // a panel edge at or below -12 - ...
  const int before = static_cast<int>(std::lround((g.x0 - lo) / g.h));
  const int panels = before + (g.n - 1) + before;  // symmetric margin past the last node
  std::vector<double> hp(static_cast<std::size_t>(panels) * gx.size()), wp(hp.size());
  double e = 0;
  for (int p = 0; p < panels; ++p)
    for (std::size_t k = 0; k < gx.size(); ++k) {
      const double t = lo + (p + 0.5 * (gx[k] + 1)) * g.h, w = 0.5 * g.h * gw[k] * shared::normal_pdf(t);
      hp[p * gx.size() + k] = h(t);
      wp[p * gx.size() + k] = w;
      e += w * hp[p * gx.size() + k];
    }
  std::vector<double> I(panels, 0.0);
  for (int p = 0; p < panels; ++p)
    for (std::size_t k = 0; k < gx.size(); ++k) I[p] += wp[p * gx.size() + k] * (hp[p * gx.size() + k] - e);
  std::vector<double> left(panels + 1, 0.0), right(panels + 1, 0.0);
  for (int p = 0; p < panels; ++p) left[p + 1] = left[p] + I[p];
  for (int p = panels; p-- > 0;) right[p] = right[p + 1] + I[p];
  std::vector<double> nodes(static_cast<std::size_t>(g.n) * 2);
  for (int k = 0; k < g.n; ++k) {
    const double x = g.x0 + k * g.h, pdf = shared::normal_pdf(x);
    const double s = x <= 0 ? left[before + k] / pdf : -right[before + k] / pdf;
    nodes[2 * k] = s;
    nodes[2 * k + 1] = x * s + h(x) - e;
  }
  if (mean) *mean = e;
  return nodes;
}

SteinFieldData stein_field_data(const ModelSpec& m, const std::vector<KernelTensor>& K0_sel) {
  SteinFieldData d;
  const Activation a = m.activation;
  if (a == Activation::linear || m.positions() != 1) return d;
  d.act = static_cast<int>(a);
  d.xg = HermiteGrid{-10.0, 0.05, 401};
  if (a == Activation::relu) {
    d.relu_rows = 257;
    d.relu_w1 = relu_table(d.relu_rows, d.xg);
    d.layers.push_back(relu_fixed_field(K0_sel[0], m.sigma[0] * m.sigma[0], d.xg));  // layer 1; deeper: the table
  } else if (a == Activation::erf || a == Activation::tanh) {
    const GBuilt& g = g_table(a);
    d.g_nodes = g.nodes;
    d.g = g.table;
    for (int l = 1; l <= m.depth(); ++l)
      d.layers.push_back(fixed_field(a, K0_sel[l - 1], m.sigma[l - 1] * m.sigma[l - 1], d.xg, g));
  }
  d.jacobians = field_jacobians(m, K0_sel);
  return d;
}

std::vector<FieldJacobian> field_jacobians(const ModelSpec& m, const std::vector<KernelTensor>& K0_sel) {
  std::vector<FieldJacobian> out;
  const auto F = [&](double s11, double s22, double s12) { return activation_kernel(m.activation, s11, s22, s12); };
  for (int l = 1; l <= m.depth(); ++l) {
    const KernelTensor& K = K0_sel[l - 1];
    const double s2 = m.sigma[l - 1] * m.sigma[l - 1];
    FieldJacobian J;
    J.M = K.N;
    J.ab.assign(static_cast<std::size_t>(K.N) * K.N, 0.0);
    J.aa = J.bb = J.ab;
    for (int a = 0; a < K.N; ++a)
      for (int b = 0; b < K.N; ++b) {
        const double saa = s2 * K.at(a, a), sbb = s2 * K.at(b, b), sab = s2 * K.at(a, b);
        const double e = 1e-6 * std::max(std::sqrt(saa * sbb), 1e-300);  // central differences: any fixed J is exact
        const std::size_t i = static_cast<std::size_t>(a) * K.N + b;
        if (a == b) {
          J.aa[i] = (F(saa + e, saa + e, saa + e) - F(saa - e, saa - e, saa - e)) / (2 * e);
          continue;
        }
        J.ab[i] = (F(saa, sbb, sab + e) - F(saa, sbb, sab - e)) / (2 * e);
        J.aa[i] = (F(saa + e, sbb, sab) - F(saa - e, sbb, sab)) / (2 * e);
        J.bb[i] = (F(saa, sbb + e, sab) - F(saa, sbb - e, sab)) / (2 * e);
      }
    out.push_back(std::move(J));
  }
  return out;
}

}  // namespace fwmc
