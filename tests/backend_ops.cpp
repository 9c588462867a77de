// The cases of the backend-ops harness (backend_ops.hpp): every Backend operation at several shapes.
#include "backend_ops.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace fwmc::test {

namespace {

constexpr long kLarge = 800000;  // x 3 chains: 2.4 M elements, above 2^21 and above one CUDA grid pass

struct BlockShape {
  const char* name;
  long per;
  int chains;
};
const BlockShape kBlocks[] = {
    {"0 chains", 37, 0}, {"1 element", 1, 1}, {"37 x 5 chains", 37, 5}, {"800000 x 3", kLarge, 3}};

ChainBlock block_of(const BlockShape& s) { return ChainBlock{s.per, s.chains, 3, 100}; }

template <class T>
std::vector<double> steps(int chains) {
  std::vector<double> h(chains);
  for (int c = 0; c < chains; ++c) h[c] = 0.01 + 0.07 * c;
  return h;
}

// Inputs with a NaN and an Inf in them (where there is room), so their propagation is compared too.
template <class T>
std::vector<T> with_nonfinite(std::vector<T> v) {
  if (v.size() > 7) {
    v[3] = std::numeric_limits<T>::quiet_NaN();
    v[v.size() - 2] = std::numeric_limits<T>::infinity();
  }
  return v;
}

template <class T>
void add_memory_cases(std::vector<OpCase<T>>& cases) {
  for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(37), std::size_t(3 * kLarge)}) {
    const std::string shape = std::to_string(n) + " elements";
    cases.push_back({"allocate release to_device to_host name", shape, double(n), [n](OpContext<T>& x) {
                       EXPECT_FALSE(x.be.name().empty());
                       const std::vector<T> v = x.normals(n);
                       void* p = x.be.allocate(n * sizeof(T));
                       x.be.to_device(p, v.data(), n * sizeof(T));
                       std::vector<T> back(n);
                       x.be.to_host(back.data(), p, n * sizeof(T));
                       x.be.release(p);
                       EXPECT_EQ(back, v);
                     }});
    cases.push_back({"copy fill_zero", shape, double(n), [n](OpContext<T>& x) {
                       auto a = x.buffer(x.normals(n)), b = x.buffer(x.normals(n)), z = x.buffer(x.normals(n));
                       x.time([&] { x.be.copy(b.data(), a.data(), n * sizeof(T)); });
                       x.time([&] { x.be.fill_zero(z.data(), n * sizeof(T)); });
                       x.keep("copy", b);
                       x.keep("fill_zero", z);
                     }});
  }
}

template <class T>
void add_gemm_cases(std::vector<OpCase<T>>& cases) {
  struct G {
    const char* name;
    int m, n, k, batch;
  };
  const G shapes[] = {{"7x9x11, batch 3", 7, 9, 11, 3},
                      {"1x1x1", 1, 1, 1, 1},
                      {"batch 0", 4, 4, 4, 0},
                      {"k = 0 (C = beta C)", 5, 3, 0, 2},
                      {"300x290x40, batch 2 (BLAS)", 300, 290, 40, 2},
                      {"1500x1500x4 (2.25 M outputs, column blocks)", 1500, 1500, 4, 1}};
  for (const G& g : shapes)
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (int share = 0; share < 2; ++share) {
          if (g.m * static_cast<long>(g.n) > 1000000 && (ta || share)) continue;  // one large case per transpose of B
          const std::string shape =
              std::string(g.name) + (ta ? ", A^T" : "") + (tb ? ", B^T" : "") + (share ? ", A shared" : "");
          cases.push_back({"gemm_strided", shape, double(g.m) * g.n * std::max(g.k, 1) * std::max(g.batch, 1),
                           [g, ta, tb, share](OpContext<T>& x) {
                             const int lda = ta ? std::max(g.k, 1) : g.m, ldb = tb ? g.n : std::max(g.k, 1);
                             const long sa = share ? 0 : static_cast<long>(g.m) * g.k,
                                        sb = static_cast<long>(g.k) * g.n;
                             const long sc = static_cast<long>(g.m) * g.n;
                             auto A = x.buffer(x.normals(
                                 static_cast<std::size_t>(std::max<long>(sa, long(g.m) * g.k) * std::max(g.batch, 1))));
                             auto B = x.buffer(x.normals(static_cast<std::size_t>(sb * std::max(g.batch, 1))));
                             auto C = x.buffer(x.normals(static_cast<std::size_t>(sc * std::max(g.batch, 1))));
                             x.time([&] {
                               x.be.gemm_strided(ta, tb, g.m, g.n, g.k, T(0.7), A.data(), lda, sa, B.data(), ldb, sb,
                                                 T(0.3), C.data(), g.m, sc, g.batch);
                             });
                             x.keep("C", C);
                           }});
        }
}

template <class T>
void add_elementwise_cases(std::vector<OpCase<T>>& cases) {
  for (long n : {0L, 1L, 185L, 3 * kLarge}) {
    const std::string shape = std::to_string(n) + " elements";
    for (int act = 0; act <= 4; ++act)
      cases.push_back({"activation_forward activation_backward", shape + ", activation " + std::to_string(act),
                       double(n), [n, act](OpContext<T>& x) {
                         auto z = x.buffer(with_nonfinite(x.normals(n))), h = x.buffer(x.normals(n));
                         auto dz = x.buffer(x.normals(n));
                         x.time([&] { x.be.activation_forward(act, n, z.data(), h.data()); });
                         x.time([&] { x.be.activation_backward(act, n, z.data(), dz.data()); });
                         x.keep("h", h);
                         x.keep("dz", dz);
                       }});
    cases.push_back({"accumulate", shape, double(n), [n](OpContext<T>& x) {
                       auto src = x.buffer(x.normals(n));
                       auto acc = x.buffer(std::vector<double>(n, 0.25));
                       x.time([&] { x.be.accumulate(n, src.data(), 2.0, acc.data()); });
                       x.keep("acc", acc);
                     }});
  }
}

template <class T>
void add_chain_cases(std::vector<OpCase<T>>& cases) {
  for (const BlockShape& s : kBlocks) {
    const ChainBlock b = block_of(s);
    const std::size_t n = static_cast<std::size_t>(b.size());
    const std::vector<double> h = steps<T>(s.chains);
    cases.push_back({"add_prior sum_squares nonfinite", s.name, double(n), [b, n](OpContext<T>& x) {
                       auto th = x.buffer(with_nonfinite(x.normals(n))), g = x.buffer(x.normals(n));
                       auto e = x.buffer(std::vector<double>(b.chains, 1.0)),
                            q = x.buffer(std::vector<double>(b.chains, 2.0));
                       auto flag = x.buffer(std::vector<std::uint8_t>(b.chains, 0));
                       x.time([&] { x.be.add_prior(b, th.data(), 0.8, g.data(), e.data()); });
                       x.time([&] { x.be.sum_squares(b, g.data(), 0.5, q.data()); });
                       x.time([&] { x.be.nonfinite(b, th.data(), flag.data()); });
                       x.keep("grad", g);
                       x.keep("energy", e);
                       x.keep("sum_squares", q);
                       x.keep("nonfinite", flag);
                     }});
    cases.push_back({"langevin_propose mala_q normal_scaled", s.name, double(n), [b, n, h](OpContext<T>& x) {
                       auto th = x.buffer(x.normals(n)), g = x.buffer(x.normals(n)), out = x.buffer(x.normals(n));
                       auto hs = x.buffer(h);
                       auto q = x.buffer(std::vector<double>(b.chains, 0.5));
                       auto xi = x.buffer(x.normals(n));
                       x.time([&] { x.be.langevin_propose(b, th.data(), g.data(), hs.data(), 9, 77, out.data()); });
                       x.time([&] { x.be.mala_q(b, out.data(), th.data(), g.data(), hs.data(), q.data()); });
                       x.time([&] { x.be.normal_scaled(b, 1.7, 3, 5, xi.data()); });
                       x.keep("proposal", out);
                       x.keep("mala_q", q);
                       x.keep("normals", xi);
                     }});
    for (int halves : {1, 2})
      cases.push_back(
          {"kick kick_drift select", std::string(s.name) + ", " + std::to_string(halves) + " half kicks", double(n),
           [b, n, h, halves](OpContext<T>& x) {
             auto g = x.buffer(x.normals(n)), p = x.buffer(x.normals(n)), th = x.buffer(x.normals(n));
             auto out = x.buffer(x.normals(n));
             auto hs = x.buffer(h);
             std::vector<std::uint8_t> take(b.chains);
             for (int c = 0; c < b.chains; ++c) take[c] = c % 2 == 0;
             auto tk = x.buffer(take);
             x.time([&] { x.be.kick_drift(b, g.data(), hs.data(), halves, 0.6, p.data(), th.data(), out.data()); });
             x.time([&] {
               x.be.kick_drift(b, g.data(), hs.data(), halves, 0.6, p.data(), th.data(), th.data());
             });  // in place
             x.time([&] { x.be.kick(b, g.data(), hs.data(), 0.5, p.data()); });
             x.time([&] { x.be.select(b, tk.data(), out.data(), g.data()); });
             x.keep("momentum", p);
             x.keep("theta out", out);
             x.keep("theta in place", th);
             x.keep("selected", g);
           }});
  }
}

template <class T>
void add_shaped_cases(std::vector<OpCase<T>>& cases) {
  struct R {
    const char* name;
    int P, N, nd, chains;
  };
  for (const R r : {R{"4 of 6 rows, 2 outputs, 5 chains", 4, 6, 2, 5}, R{"1 x 1", 1, 1, 1, 1},
                    R{"0 chains", 3, 4, 1, 0}, R{"1000 of 1100 rows x 2 x 1000 chains", 1000, 1100, 2, 1000}})
    cases.push_back(
        {"residual", r.name, double(r.N) * r.nd * r.chains, [r](OpContext<T>& x) {
           auto f = x.buffer(x.normals(static_cast<std::size_t>(r.chains) * r.N * r.nd));
           auto y = x.buffer(x.normals(static_cast<std::size_t>(r.P) * r.nd));
           auto dF = x.buffer(x.normals(f.size()));
           auto loss = x.buffer(std::vector<double>(r.chains, 3.0));
           x.time([&] { x.be.residual(r.P, r.N, r.nd, r.chains, f.data(), y.data(), T(1.5), dF.data(), loss.data()); });
           x.keep("dF", dF);
           x.keep("loss", loss);
         }});
  struct D {
    const char* name;
    int rows, cols, chains, ld;
    long stride;
  };
  for (const D d : {D{"6x5 (ld 7) x 5 chains", 6, 5, 5, 7, 37}, D{"1x1", 1, 1, 1, 1, 1}, D{"0 chains", 3, 3, 0, 3, 9},
                    D{"1000x2200 x 1 chain", 1000, 2200, 1, 1000, 2200000}})
    cases.push_back({"chain_dot", d.name, double(d.rows) * d.cols * d.chains, [d](OpContext<T>& x) {
                       const std::size_t n = static_cast<std::size_t>(d.stride) * std::max(d.chains, 1);
                       auto A = x.buffer(x.normals(n)), B = x.buffer(x.normals(n));
                       auto out = x.buffer(std::vector<double>(d.chains, 9.0));
                       x.time([&] {
                         x.be.chain_dot(d.rows, d.cols, d.chains, A.data(), d.ld, d.stride, B.data(), d.ld, d.stride,
                                        out.data());
                       });
                       x.keep("dot", out);
                     }});
  struct C {
    const char* name;
    int N, D, S, cin, chains;
  };
  for (const C c : {C{"N 3, D 4, S 3, 2 channels, 5 chains", 3, 4, 3, 2, 5}, C{"all 1", 1, 1, 1, 1, 1},
                    C{"0 chains", 2, 3, 3, 1, 0}, C{"N 100, D 64, S 3, 8 channels, 15 chains", 100, 64, 3, 8, 15}})
    cases.push_back({"im2col col2im", c.name, double(c.N) * c.D * c.S * c.cin * c.chains, [c](OpContext<T>& x) {
                       std::vector<int> nb(c.D * c.S), inv(c.D * c.S);
                       for (int i = 0; i < c.D; ++i)
                         for (int s = 0; s < c.S; ++s) {  // a circular window around position i
                           nb[i * c.S + s] = (i + s - c.S / 2 + c.D) % c.D;
                           inv[nb[i * c.S + s] * c.S + s] = i;
                         }
                       auto nbb = x.buffer(nb), invb = x.buffer(inv);
                       const std::size_t per = static_cast<std::size_t>(c.D) * c.N * c.cin;
                       auto h = x.buffer(x.normals(per * c.chains)), p = x.buffer(x.normals(per * c.S * c.chains));
                       auto back = x.buffer(x.normals(per * c.chains));
                       x.time([&] { x.be.im2col(c.N, c.D, c.S, c.cin, c.chains, nbb.data(), h.data(), p.data()); });
                       x.time([&] { x.be.col2im(c.N, c.D, c.S, c.cin, c.chains, invb.data(), p.data(), back.data()); });
                       x.keep("patches", p);
                       x.keep("col2im", back);
                     }});
}

}  // namespace

template <class T>
std::vector<OpCase<T>> backend_op_cases() {
  std::vector<OpCase<T>> cases;
  add_memory_cases(cases);
  add_gemm_cases(cases);
  add_elementwise_cases(cases);
  add_chain_cases(cases);
  add_shaped_cases(cases);
  add_field_cases(cases);
  return cases;
}

template std::vector<OpCase<float>> backend_op_cases<float>();
template std::vector<OpCase<double>> backend_op_cases<double>();

// The first index where got differs from want beyond tol (relative to want's largest finite value), NaN and Inf
// compared as values; -1 when none.
long first_difference(const std::vector<double>& want, const std::vector<double>& got, double tol) {
  if (want.size() != got.size()) return 0;
  double scale = 1e-30;
  for (double v : want)
    if (std::isfinite(v)) scale = std::max(scale, std::abs(v));
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double a = want[i], b = got[i];
    if (std::isnan(a) || std::isnan(b)) {
      if (std::isnan(a) != std::isnan(b)) return static_cast<long>(i);
    } else if (std::isinf(a) || std::isinf(b)) {
      if (a != b) return static_cast<long>(i);
    } else if (std::abs(a - b) > tol * scale) {
      return static_cast<long>(i);
    }
  }
  return -1;
}

template <class T>
void run_backend_op_cases(Backend<T>& test, double tol) {
  auto ref = make_cpu_backend<T>();
  const bool perf = std::getenv("FWMC_OPS_PERF") != nullptr;
  int n = 0;
  for (const auto& c : backend_op_cases<T>()) {
    OpContext<T> want{*ref, std::mt19937_64(2026), {}}, got{test, std::mt19937_64(2026), {}};
    c.run(want);
    c.run(got);
    const double s = got.seconds;
    if (perf)
      std::printf("  %-48s %-52s %9.3f ms %8.3g Melem/s\n", c.op.c_str(), c.shape.c_str(), 1e3 * s, c.work / s / 1e6);
    const std::string where = c.op + " [" + c.shape + "] on " + test.name();
    EXPECT_TRUE(want.out.guards_ok) << where << ": the reference wrote outside an output";
    EXPECT_TRUE(got.out.guards_ok) << where << ": wrote outside an output";
    ASSERT_EQ(want.out.values.size(), got.out.values.size()) << where;
    for (std::size_t k = 0; k < want.out.values.size(); ++k) {
      const auto& [name, w] = want.out.values[k];
      const long i = first_difference(w, got.out.values[k].second, tol);
      EXPECT_EQ(i, -1) << where << ", output " << name << "[" << i << "]: " << (i >= 0 ? w[i] : 0) << " vs "
                       << (i >= 0 && i < static_cast<long>(got.out.values[k].second.size())
                               ? got.out.values[k].second[i]
                               : 0);
    }
    ++n;
  }
  std::printf("  %d cases on %s against the CPU reference (tolerance %g)\n", n, test.name().c_str(), tol);
}

template void run_backend_op_cases<float>(Backend<float>&, double);
template void run_backend_op_cases<double>(Backend<double>&, double);

}  // namespace fwmc::test
