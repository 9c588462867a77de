// The backend-ops harness's cases for the conditional Stein field (docs/theory.md 12): stein_field in every form
// (relu's table with each chain's Sigma, relu's exact layer-1 field, quadratic's polynomial one, erf and tanh's fixed
// fields), its deep correction, and the group moments.
#include <gtest/gtest.h>

#include <cmath>

#include "backend_ops.hpp"
#include "fwmc/stein_field_tables.hpp"

namespace fwmc::test {

namespace {

// A positive definite M x M matrix (column-major) near the identity's scale: rows of random features.
template <class T>
std::vector<double> random_sigma(OpContext<T>& x, int M) {
  const int k = M + 3;
  const std::vector<T> f = x.normals(static_cast<std::size_t>(M) * k);
  std::vector<double> s(static_cast<std::size_t>(M) * M, 0.0);
  for (int a = 0; a < M; ++a)
    for (int b = 0; b < M; ++b) {
      for (int j = 0; j < k; ++j) s[a + b * M] += double(f[a * k + j]) * f[b * k + j] / k;
      if (a == b) s[a + b * M] += 0.2;
    }
  return s;
}

struct FieldShape {
  const char* name;
  int M, n, chains;
};

template <class T>
void add_stein_field_cases(std::vector<OpCase<T>>& cases) {
  struct Form {
    const char* name;
    Activation act;
    bool fixed_layer;  // relu: the exact layer-1 field (else the table with each chain's Sigma)
  };
  const Form forms[] = {{"relu table", Activation::relu, false},
                        {"relu layer 1", Activation::relu, true},
                        {"quadratic", Activation::quadratic, false},
                        {"erf", Activation::erf, true},
                        {"tanh", Activation::tanh, true}};
  const FieldShape shapes[] = {{"M 3, 7 units, 4 chains", 3, 7, 4},
                               {"all 1", 1, 1, 1},
                               {"0 chains", 2, 3, 0},
                               {"M 8, 300 units, 12 chains", 8, 300, 12}};
  for (const Form& f : forms)
    for (const FieldShape& sh : shapes)
      cases.push_back({"stein_field", std::string(f.name) + ", " + sh.name, double(sh.M) * sh.M * sh.n * sh.chains,
                       [f, sh](OpContext<T>& x) {
                         const int M = sh.M, C = sh.chains;
                         const std::vector<double> base = random_sigma(x, M);
                         KernelTensor K(M, 1);
                         for (int a = 0; a < M; ++a)
                           for (int b = 0; b < M; ++b) K.at(a, b) = base[a + b * M];
                         ModelSpec m;
                         m.activation = f.act;
                         m.widths = {sh.n};
                         m.sigma = {1.0, 1.0};
                         const SteinFieldData d = stein_field_data(m, {K, K});
                         // Each chain's Sigma: the base one, perturbed as a draw's would be.
                         std::vector<T> sig(static_cast<std::size_t>(std::max(C, 1)) * M * M);
                         const std::vector<T> eps = x.normals(sig.size(), 0.02);
                         for (std::size_t i = 0; i < sig.size(); ++i) {
                           const std::size_t e = i % (static_cast<std::size_t>(M) * M);
                           const int a = static_cast<int>(e % M), b = static_cast<int>(e / M);
                           sig[i] = static_cast<T>(base[e] * (1 + (a == b ? 0.0 : double(eps[i]))));
                         }
                         auto sigma = x.buffer(sig);
                         const long per = static_cast<long>(M) * sh.n;
                         auto u = x.buffer(x.normals(static_cast<std::size_t>(std::max(C, 1)) * per));
                         auto s = x.buffer(x.normals(static_cast<std::size_t>(std::max(C, 1)) * per, 0.3));
                         auto relu = x.buffer(d.relu_w1.empty() ? std::vector<double>{0.0} : d.relu_w1);
                         auto g = x.buffer(d.g_nodes.empty() ? std::vector<float>{0.0f} : d.g_nodes);
                         const bool fixed = f.fixed_layer && !d.layers.empty();
                         const FixedFieldLayer empty;
                         const FixedFieldLayer& L = fixed ? d.layers[0] : empty;
                         Buffer<shared::FixedPair, T> pairs(x.be, std::max<std::size_t>(L.pairs.size(), 1));
                         if (!L.pairs.empty()) pairs.upload(L.pairs);
                         auto offs = x.buffer(L.diag_offset.empty() ? std::vector<long>{0} : L.diag_offset);
                         auto scales = x.buffer(L.diag_scale.empty() ? std::vector<double>{1.0} : L.diag_scale);
                         auto nodes = x.buffer(L.nodes.empty() ? std::vector<double>{0.0} : L.nodes);
                         auto out = x.buffer(std::vector<double>(static_cast<std::size_t>(C) * M * M, 7.0));
                         shared::SteinFieldArgs<T> a;
                         a.act = static_cast<int>(f.act);
                         a.chains = C, a.M = M, a.n = sh.n;
                         a.u = u.data(), a.s = s.data();
                         a.ld = M, a.stride = per, a.s_ld = M, a.s_stride = per;
                         a.sigma = sigma.data(), a.sigma_stride = static_cast<long>(M) * M;
                         a.relu_w1 = relu.data(), a.relu_rows = d.relu_rows;
                         if (fixed) {
                           a.fixed = pairs.data(), a.diag_offset = offs.data(), a.diag_scale = scales.data();
                           a.w1_nodes = nodes.data();
                         }
                         a.g = d.g;
                         a.g.nodes = g.data();
                         a.xg = d.xg;
                         a.out = out.data();
                         x.time([&] { x.be.stein_field(a); });
                         x.keep("out", out);
                       }});
}

template <class T>
void add_field_moment_cases(std::vector<OpCase<T>>& cases) {
  for (const FieldShape& sh : {FieldShape{"M 3, 4 chains", 3, 0, 4}, FieldShape{"all 1", 1, 0, 1},
                               FieldShape{"0 chains", 2, 0, 0}, FieldShape{"M 40, 64 chains", 40, 0, 64}})
    cases.push_back(
        {"field_correction group_moments", sh.name, double(sh.M) * sh.M * sh.chains, [sh](OpContext<T>& x) {
           const int M = sh.M, C = sh.chains;
           const std::size_t MM = static_cast<std::size_t>(M) * M, n = std::max(C, 1) * MM;
           auto sigma = x.buffer(x.normals(n));
           std::vector<double> prev(n), out(n), jab(MM), jaa(MM), jbb(MM);
           for (auto* v : {&prev, &out}) {
             const auto r = x.normals(n);
             std::copy(r.begin(), r.end(), v->begin());
           }
           for (auto* v : {&jab, &jaa, &jbb}) {
             const auto r = x.normals(MM);
             std::copy(r.begin(), r.end(), v->begin());
           }
           auto pb = x.buffer(prev), ob = x.buffer(out), ja = x.buffer(jab), jb = x.buffer(jaa), jc = x.buffer(jbb);
           x.time([&] {
             x.be.field_correction({C, M, 1.7, ja.data(), jb.data(), jc.data(), sigma.data(), pb.data(), ob.data()});
           });
           x.keep("corrected", ob);
           const int G = C >= 4 ? C / 2 : C;  // two chains per group (one when there are few)
           auto sum = x.buffer(std::vector<double>(std::max(G, 1) * MM, 0.5));
           auto sum2 = x.buffer(std::vector<double>(std::max(G, 1) * MM, 0.25));
           x.time([&] { x.be.group_moments(static_cast<long>(MM), C, G, ob.data(), sum.data(), sum2.data()); });
           x.keep("sum", sum);
           x.keep("sum2", sum2);
         }});
}

}  // namespace

template <class T>
void add_field_cases(std::vector<OpCase<T>>& cases) {
  add_stein_field_cases(cases);
  add_field_moment_cases(cases);
}

template void add_field_cases<float>(std::vector<OpCase<float>>&);
template void add_field_cases<double>(std::vector<OpCase<double>>&);

}  // namespace fwmc::test
