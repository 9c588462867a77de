#include "host/run/run_estimates.hpp"

#include "fwmc/theory.hpp"

namespace fwmc {

namespace {

// (1/D) sum_i K(a,b)_ii per group, so that the trace's MCSE also comes from the group spread.
KernelEstimate spatial_trace_estimate(const std::vector<double>& ordered, const GroupSums& s) {
  const KernelTensor layout(s.N, s.D, s.diag);
  const std::size_t per = layout.v.size(), NN = static_cast<std::size_t>(s.N) * s.N;
  std::vector<double> tr(s.groups * NN, 0.0);
  for (int g = 0; g < s.groups; ++g)
    for (std::size_t ab = 0; ab < NN; ++ab)
      for (int i = 0; i < s.D; ++i) tr[g * NN + ab] += ordered[g * per + layout.index(ab / s.N, ab % s.N, i, i)] / s.D;
  KernelEstimate e = estimate_from_groups(tr, s.groups, s.N, 1, s.counts);
  e.groups = group_means(tr, s.groups, s.N, 1, s.counts);
  return e;
}

}  // namespace

void estimate_run(RunResult& r, const ModelSpec& m, const Eigen::MatrixXd& X, const KernelSelection& sel,
                  EstimatorChoice choice, const Statistics& st, int groups,
                  const std::vector<std::vector<double>>& sums, const std::vector<double>& counts) {
  GroupSums s;
  s.stats = st;
  s.groups = groups;
  s.N = sel.count(static_cast<int>(X.rows()));
  s.D = m.positions();
  s.diag = sel.diagonal && s.D > 1;
  s.counts = counts;
  for (const auto& raw : sums) s.sums.push_back(kernel_order(raw, groups, s.N, s.D, s.diag));
  std::vector<const std::vector<double>*> reported;  // per layer: the group sums of the reported estimate
  SteinResult sr;
  if (choice == EstimatorChoice::plain) {
    r.estimator = "plain";
    for (int l = 1; l <= m.depth(); ++l) {
      r.kernels.push_back(estimate_from_groups(s.sums[st.K(l)], groups, s.N, s.D, counts, s.diag));
      reported.push_back(&s.sums[st.K(l)]);
    }
  } else {
    r.estimator = "stein";
    sr = stein_estimates(m, restrict_kernel(input_kernel(m, X), sel), s);
    for (const auto& l : sr.layers) {
      r.kernels.push_back(l.stein);
      r.plain_kernels.push_back(l.plain);
      r.control.push_back(l.control);
      r.stein.push_back(l.report);
      reported.push_back(&l.stein_sums);
    }
    r.has_preact = sr.has_preact;
    if (sr.has_preact) {
      r.preact = sr.preact.stein;
      r.preact.groups = group_means(sr.preact.stein_sums, groups, s.N, s.D, counts, s.diag);
      r.preact_plain = sr.preact.plain;
      r.preact_report = sr.preact.report;
    }
  }
  // The reported kernels keep their groups: the SEs of their norms come from them (compare.hpp).
  for (std::size_t l = 0; l < reported.size(); ++l)
    r.kernels[l].groups = group_means(*reported[l], groups, s.N, s.D, counts, s.diag);
  if (s.D > 1)
    for (const auto* v : reported) r.spatial_trace.push_back(spatial_trace_estimate(*v, s));
}

}  // namespace fwmc
