// R-hat and ESS, following the reference implementation of the R package `posterior` step by step.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "fwmc/diagnostics.hpp"

namespace fwmc {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool usable(const Chains& x) {
  if (x.empty() || x[0].size() < 4) return false;
  const double first = x[0][0];
  bool varies = false;
  for (const auto& c : x) {
    if (c.size() != x[0].size()) return false;
    for (double v : c) {
      if (!std::isfinite(v)) return false;
      varies |= v != first;
    }
  }
  return varies;
}

double mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }

double var(const std::vector<double>& v) {  // sample variance (n - 1)
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / (v.size() - 1);
}

// R's quantile(type = 7).
double quantile7(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double h = (v.size() - 1) * p;
  const std::size_t lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - lo) * (v[hi] - v[lo]);
}

std::vector<double> pooled(const Chains& x) {
  std::vector<double> all;
  for (const auto& c : x) all.insert(all.end(), c.begin(), c.end());
  return all;
}

Chains indicator(const Chains& x, double q) {
  Chains r = x;
  for (auto& c : r)
    for (double& v : c) v = v <= q ? 1.0 : 0.0;
  return r;
}

bool has_variation(const Chains& x) {
  for (const auto& c : x)
    for (double v : c)
      if (v != x[0][0]) return true;
  return false;
}

}  // namespace

double inverse_normal_cdf(double p) {
  if (p <= 0) return -std::numeric_limits<double>::infinity();
  if (p >= 1) return std::numeric_limits<double>::infinity();
  // Acklam's rational approximation, then two Newton steps on erfc for full double precision.
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  double x;
  if (p < 0.02425) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p > 1 - 0.02425) {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  for (int i = 0; i < 2; ++i) {
    const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
    const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
    x = x - u / (1 + x * u / 2);
  }
  return x;
}

Chains split_chains(const Chains& x) {
  Chains out;
  for (const auto& c : x) {
    const std::size_t n = c.size(), h = n / 2;
    out.emplace_back(c.begin(), c.begin() + h);
    out.emplace_back(c.begin() + (n - h), c.end());  // odd n: the middle draw is dropped
  }
  return out;
}

Chains z_scale(const Chains& x) {
  std::vector<double> all = pooled(x);
  const std::size_t S = all.size();
  std::vector<std::size_t> idx(S);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return all[a] < all[b]; });
  std::vector<double> rank(S);
  for (std::size_t i = 0; i < S;) {  // average ranks over ties
    std::size_t j = i;
    while (j + 1 < S && all[idx[j + 1]] == all[idx[i]]) ++j;
    const double r = (i + j) / 2.0 + 1;
    for (std::size_t k = i; k <= j; ++k) rank[idx[k]] = r;
    i = j + 1;
  }
  Chains out = x;
  std::size_t k = 0;
  for (auto& c : out)
    for (double& v : c) v = inverse_normal_cdf((rank[k++] - 3.0 / 8) / (S - 2 * 3.0 / 8 + 1));
  return out;
}

double rhat_raw(const Chains& x) {
  const double n = static_cast<double>(x[0].size());
  std::vector<double> means, vars;
  for (const auto& c : x) {
    means.push_back(mean(c));
    vars.push_back(var(c));
  }
  const double B = n * var(means), W = mean(vars);
  return std::sqrt((B / W + n - 1) / n);
}

double ess_raw(const Chains& x) {
  const std::size_t m = x.size(), n = x[0].size();
  if (n < 4) return kNaN;  // as Stan: too few draws to estimate autocorrelations
  std::vector<double> means(m), acov0(m);
  for (std::size_t c = 0; c < m; ++c) means[c] = mean(x[c]);
  // Biased autocovariance at lag t, averaged over chains (computed on demand: the sum stops early).
  auto acov_mean = [&](std::size_t t) {
    double s = 0;
    for (std::size_t c = 0; c < m; ++c) {
      double a = 0;
      for (std::size_t i = 0; i + t < n; ++i) a += (x[c][i] - means[c]) * (x[c][i + t] - means[c]);
      s += a / n;
    }
    return s / m;
  };
  const double mean_var = acov_mean(0) * n / (n - 1.0);
  double var_plus = mean_var * (n - 1.0) / n;
  if (m > 1) var_plus += var(means);
  std::vector<double> rho(n, 0.0);
  double rho_even = 1, rho_odd = 1 - (mean_var - acov_mean(1)) / var_plus;
  rho[0] = rho_even;
  rho[1] = rho_odd;
  std::size_t t = 0;
  while (t + 5 < n && !std::isnan(rho_even + rho_odd) && rho_even + rho_odd > 0) {
    t += 2;
    rho_even = 1 - (mean_var - acov_mean(t)) / var_plus;
    rho_odd = 1 - (mean_var - acov_mean(t + 1)) / var_plus;
    if (rho_even + rho_odd >= 0) {
      rho[t] = rho_even;
      rho[t + 1] = rho_odd;
    }
  }
  const std::size_t max_t = t;
  if (rho_even > 0) rho[max_t] = rho_even;
  // Geyer's initial monotone sequence.
  t = 0;
  while (t + 4 <= max_t) {
    t += 2;
    if (rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1]) {
      rho[t] = (rho[t - 2] + rho[t - 1]) / 2;
      rho[t + 1] = rho[t];
    }
  }
  const double ess = static_cast<double>(m * n);
  double tau = -1 + rho[max_t];
  for (std::size_t i = 0; i < max_t; ++i) tau += 2 * rho[i];
  tau = std::max(tau, 1 / std::log10(ess));
  return ess / tau;
}

double rhat_basic(const Chains& x) { return usable(x) ? rhat_raw(x) : kNaN; }

double rhat_rank(const Chains& x) {
  if (!usable(x)) return kNaN;
  const double bulk = rhat_raw(z_scale(split_chains(x)));
  const double med = quantile7(pooled(x), 0.5);
  Chains folded = x;
  for (auto& c : folded)
    for (double& v : c) v = std::abs(v - med);
  const double tail = rhat_raw(z_scale(split_chains(folded)));
  return std::max(bulk, tail);
}

double ess_bulk(const Chains& x) { return usable(x) ? ess_raw(z_scale(split_chains(x))) : kNaN; }

double ess_tail(const Chains& x) {
  if (!usable(x)) return kNaN;
  const std::vector<double> all = pooled(x);
  double e = std::numeric_limits<double>::infinity();
  for (double p : {0.05, 0.95}) {
    Chains ind = split_chains(indicator(x, quantile7(all, p)));
    const double ep = has_variation(ind) ? ess_raw(ind) : kNaN;
    e = std::isnan(ep) || std::isnan(e) ? kNaN : std::min(e, ep);  // std::min would drop a NaN
  }
  return e;
}

double drift_z(const Chains& x, int groups) {
  if (!usable(x) || groups < 2 || x.size() % groups != 0) return kNaN;
  const std::size_t M = x.size() / groups, n = x[0].size(), h = n / 2;
  std::vector<double> d(groups, 0.0);
  for (int k = 0; k < groups; ++k)
    for (std::size_t j = 0; j < M; ++j) {
      const auto& c = x[k * M + j];
      double a = 0, b = 0;
      for (std::size_t i = 0; i < h; ++i) a += c[i];
      for (std::size_t i = n - h; i < n; ++i) b += c[i];
      d[k] += (b - a) / h / M;
    }
  const double sd = std::sqrt(var(d));
  return sd > 0 ? mean(d) / (sd / std::sqrt(double(groups))) : kNaN;
}

double rhat_nested(const Chains& x, int groups) {
  if (!usable(x) || groups < 2 || x.size() % groups != 0) return kNaN;
  const std::size_t M = x.size() / groups;
  std::vector<double> super_means;
  double W = 0;
  for (int k = 0; k < groups; ++k) {
    std::vector<double> cm, cv;
    for (std::size_t j = 0; j < M; ++j) {
      cm.push_back(mean(x[k * M + j]));
      cv.push_back(var(x[k * M + j]));
    }
    super_means.push_back(mean(cm));
    const double between = M > 1 ? var(cm) : 0.0;
    W += (between + mean(cv)) / groups;
  }
  return std::sqrt(1 + var(super_means) / W);
}

}  // namespace fwmc
