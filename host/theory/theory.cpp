// compute_theory: picks the closed form that applies to the architecture, or says none does.
#include <algorithm>
#include <sstream>

#include "fwmc/errors.hpp"
#include "fwmc/prior_moments.hpp"
#include "fwmc/theory.hpp"

namespace fwmc {

TheoryOptions theory_options(const Config& c) {
  TheoryOptions o;
  o.method = c.theory.method;
  o.cnn_form = c.theory.cnn_form;
  o.draws = c.theory.draws;
  o.seed = c.theory.seed;
  o.beta = c.posterior.beta;
  o.source = c.source;
  return o;
}

namespace {

// Numerical rank of X X^T: singular values of X above the largest times max(rows, cols) eps (numpy's matrix_rank).
int gram_rank(const Eigen::MatrixXd& X) {
  if (X.size() == 0) return 0;
  Eigen::BDCSVD<Eigen::MatrixXd> svd(X);
  const auto& s = svd.singularValues();
  const double tol = s.size() ? s(0) * double(std::max(X.rows(), X.cols())) * 2.220446049250313e-16 : 0.0;
  return static_cast<int>((s.array() > tol).count());
}

}  // namespace

TheoryResult compute_theory(const ModelSpec& m, const Dataset& d, const TheoryOptions& o,
                            const PriorSourceFactory& prior) {
  TheoryResult r;
  const int L = m.depth(), P = d.P;
  std::vector<KernelTensor> K0 = nngp_kernels(m, d.X);
  r.phi = compute_phi(m, K0[L], P, d.Y, o.beta);
  for (int l = 1; l <= L; ++l) {
    LayerTheory lt;
    lt.layer = l;
    lt.nngp = K0[l];
    r.layers.push_back(lt);
  }
  // Regime of the expansion: n >> P and sum_l n_d / n_l << 1.
  const int nmin = *std::min_element(m.widths.begin(), m.widths.end());
  for (int w : m.widths) r.sum_nd_over_n += double(m.n_out) / w;
  r.data_rank = gram_rank(d.X.topRows(P));
  r.p_depth_over_n = double(r.data_rank) * L / nmin;
  if (r.sum_nd_over_n > 0.2) {
    std::ostringstream os;
    os << "sum_l n_d/n_l = " << r.sum_nd_over_n << " is not small: the leading-order theory may be inaccurate";
    r.warnings.push_back(os.str());
  }
  if (r.phi.gamma_cond > 1e10) {  // Phi = Gamma^-1 (...) Gamma^-1 loses about log10(cond^2) of 16 digits
    std::ostringstream os;
    os << "cond(Gamma) = " << r.phi.gamma_cond << ": Gamma is nearly singular (duplicate or collinear inputs with a "
       << "large beta); the theory's Phi has lost most of its digits";
    r.warnings.push_back(os.str());
  }
  if (r.p_depth_over_n > 1.0) {
    std::ostringstream os;
    os << "rank(G)*L/n = " << r.p_depth_over_n << " is not small (rank of the " << P << " inputs' Gram matrix "
       << r.data_rank << "): widths are not large against data and depth";
    r.warnings.push_back(os.str());
  }
  const bool linear = m.activation == Activation::linear;
  std::vector<KernelTensor> th;
  auto use_prior_moments = [&] {
    PriorMomentResult pm = prior_moment_theory(prior, m, d, r.phi.phi, o.draws, o.seed);
    for (int l = 0; l < L; ++l) {
      th.push_back(pm.theory[l].mean);
      r.layers[l].theory_se = pm.theory[l].mcse;
      r.layers[l].theory_groups = std::move(pm.theory[l].groups);
    }
    r.draws = pm.draws;
    r.method = "prior_moments";
  };
  // "auto" falls back to the prior moments below, after the closed forms: the repeated branch is meant.
  if (o.method == TheoryMethod::prior_moments) {  // NOLINT(bugprone-branch-clone)
    use_prior_moments();
  } else if (linear && m.arch == Arch::fcn) {
    th = deep_linear_fcn_theory(m, K0, r.phi.phi, P);
    r.method = "closed_form:deep_linear_fcn";
  } else if (linear) {
    const bool prop = o.cnn_form == CnnForm::propagated;
    th = deep_linear_cnn_theory(m, K0, r.phi.phi, P, prop);
    r.method = std::string("closed_form:deep_linear_cnn_") + (prop ? "propagated" : "unpropagated");
  } else if (L == 1 && m.arch == Arch::fcn && m.activation == Activation::quadratic) {
    th = {quadratic_single_layer_theory(m, K0[1], d.X, r.phi.phi, P)};
    r.method = "closed_form:single_layer_quadratic";
  } else if (L == 1 && m.arch == Arch::fcn) {
    KernelTensor mean, se;
    single_layer_mc_theory(m, K0[1], d.X, r.phi.phi, P, o.draws, o.seed, mean, se, &r.layers[0].theory_groups);
    th = {mean};
    r.layers[0].theory_se = se;
    r.draws = o.draws;
    r.method = std::string("monte_carlo:single_layer_") + activation_name(m.activation);
  } else if (o.method == TheoryMethod::automatic) {
    use_prior_moments();  // no closed form: deep nonlinear fcn, nonlinear cnn
  } else {
    throw InputError(o.source + ": [theory] method = \"closed_form\": no closed form for a " +
                     (m.arch == Arch::fcn ? "fcn" : "cnn") + " with " + std::to_string(L) + " " +
                     activation_name(m.activation) + " hidden layer(s); use theory.method = \"prior_moments\"");
  }
  for (int l = 1; l <= L; ++l) {
    r.layers[l - 1].theory = th[l - 1];
    r.layers[l - 1].has_theory = true;
  }
  return r;
}

TheoryResult restrict_theory(const TheoryResult& th, const KernelSelection& s) {
  TheoryResult r = th;
  for (auto& l : r.layers) {
    l.nngp = restrict_kernel(l.nngp, s);
    l.theory = restrict_kernel(l.theory, s);
    l.theory_se = restrict_kernel(l.theory_se, s);
    for (auto& g : l.theory_groups.means) g = restrict_kernel(g, s);
  }
  return r;
}

}  // namespace fwmc
