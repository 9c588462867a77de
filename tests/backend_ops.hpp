// The backend-ops harness (in the style of ggml's test-backend-ops): a table of cases, each running one Backend
// operation on inputs drawn from a fixed seed and returning its outputs. tests/test_backend_ops.cpp runs every case
// on the CPU reference and on the backend under test, compares the outputs NaN/Inf-aware, and checks guard regions
// around every output buffer. Shapes cover 0 chains, 1 element, odd sizes and more than 2^21 elements (several grid
// passes of a CUDA kernel).
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "fwmc/backend.hpp"

namespace fwmc::test {

// A buffer on a backend with kGuard sentinel elements either side, so a write outside [0, n) is seen.
template <class E, class T>
class Guarded {
 public:
  static constexpr std::size_t kGuard = 64;
  Guarded(Backend<T>& be, const std::vector<E>& init) : be_(be), n_(init.size()), buf_(be, init.size() + 2 * kGuard) {
    std::vector<E> all(n_ + 2 * kGuard, sentinel());
    std::copy(init.begin(), init.end(), all.begin() + kGuard);
    buf_.upload(all);
  }
  E* data() { return buf_.data() + kGuard; }
  std::size_t size() const { return n_; }
  // The contents as doubles; `guards_ok` false when a sentinel was overwritten.
  std::vector<double> read(bool& guards_ok) const {
    const std::vector<E> all = buf_.download();
    for (std::size_t i = 0; i < kGuard; ++i)
      if (!same(all[i], sentinel()) || !same(all[kGuard + n_ + i], sentinel())) guards_ok = false;
    return std::vector<double>(all.begin() + kGuard, all.begin() + kGuard + n_);
  }

 private:
  static E sentinel() { return static_cast<E>(std::is_floating_point<E>::value ? -12345.0 : 0xA5); }
  static bool same(E a, E b) { return a == b; }
  Backend<T>& be_;
  std::size_t n_;
  Buffer<E, T> buf_;
};

// The outputs of one case run on one backend.
struct OpOutputs {
  std::vector<std::pair<std::string, std::vector<double>>> values;
  bool guards_ok = true;
};

// What a case gets: the backend, and a generator of inputs that is the same on every backend.
template <class T>
struct OpContext {
  Backend<T>& be;
  std::mt19937_64 rng;
  OpOutputs out;
  double seconds = 0;

  // n values spread over about [-2, 2] (splitmix64 bits: cheap, so millions of inputs cost milliseconds).
  std::vector<T> normals(std::size_t n, double scale = 1.0) {
    std::vector<T> v(n);
    std::uint64_t z = rng();
    for (auto& x : v) {
      z += 0x9E3779B97F4A7C15ull;
      std::uint64_t r = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      r = (r ^ (r >> 27)) * 0x94D049BB133111EBull;
      r ^= r >> 31;
      x = static_cast<T>(scale * (static_cast<double>(r >> 11) * 0x1.0p-53 * 4.0 - 2.0));
    }
    return v;
  }
  // Runs one backend call, timing it (the perf mode reports the calls' time, not the inputs').
  template <class F>
  void time(F&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  template <class E>
  Guarded<E, T> buffer(const std::vector<E>& v) {
    return Guarded<E, T>(be, v);
  }
  template <class E>
  void keep(const std::string& name, const Guarded<E, T>& b) {
    out.values.emplace_back(name, b.read(out.guards_ok));
  }
};

template <class T>
struct OpCase {
  std::string op;     // the Backend member it exercises
  std::string shape;  // what is special about the sizes
  double work;        // elements touched (for the perf mode)
  std::function<void(OpContext<T>&)> run;
};

// Every case, for precision T.
template <class T>
std::vector<OpCase<T>> backend_op_cases();
// The conditional Stein field's cases (tests/backend_ops_field.cpp).
template <class T>
void add_field_cases(std::vector<OpCase<T>>& cases);

// The first index where got differs from want beyond tol (relative to want's largest finite value), NaN and Inf
// compared as values; -1 when none.
long first_difference(const std::vector<double>& want, const std::vector<double>& got, double tol);

// Runs every case on the CPU reference and on `test`, and fails (gtest) where an output differs beyond tol or a
// guard region was written. FWMC_OPS_PERF=1 also prints each case's time on `test`.
template <class T>
void run_backend_op_cases(Backend<T>& test, double tol);

}  // namespace fwmc::test
