// A Backend that forwards every operation to another one, calling on_call(op) first: the base of decorators that
// record or count what a model and a sampler ask of a backend (bench/throughput.cpp records GEMM shapes;
// tests/test_sync_counts.cpp counts host synchronisations per step). A new Backend operation needs its forward here.
#pragma once
#include <string>

#include "fwmc/backend.hpp"

namespace fwmc {

template <class T>
class ForwardingBackend : public Backend<T> {
 public:
  explicit ForwardingBackend(Backend<T>& inner) : in_(inner) {}
  std::string name() const override { return in_.name(); }
  void* allocate(std::size_t b) override { return on_call("allocate"), in_.allocate(b); }
  void release(void* p) override { on_call("release"), in_.release(p); }
  void to_device(void* d, const void* s, std::size_t b) override { on_call("to_device"), in_.to_device(d, s, b); }
  void to_host(void* d, const void* s, std::size_t b) override { on_call("to_host"), in_.to_host(d, s, b); }
  void copy(void* d, const void* s, std::size_t b) override { on_call("copy"), in_.copy(d, s, b); }
  void fill_zero(void* d, std::size_t b) override { on_call("fill_zero"), in_.fill_zero(d, b); }
  void gemm_strided(bool ta, bool tb, int m, int n, int k, T al, const T* A, int lda, long sa, const T* B, int ldb,
                    long sb, T be, T* C, int ldc, long sc, int batch) override {
    on_call("gemm_strided");
    in_.gemm_strided(ta, tb, m, n, k, al, A, lda, sa, B, ldb, sb, be, C, ldc, sc, batch);
  }
  void activation_forward(int a, long n, const T* z, T* h) override {
    on_call("activation_forward"), in_.activation_forward(a, n, z, h);
  }
  void activation_backward(int a, long n, const T* z, T* dz) override {
    on_call("activation_backward"), in_.activation_backward(a, n, z, dz);
  }
  void residual(int P, int N, int nd, int C, const T* f, const T* y, T b, T* dF, double* l) override {
    on_call("residual"), in_.residual(P, N, nd, C, f, y, b, dF, l);
  }
  void add_prior(const ChainBlock& b, const T* t, double s, T* g, double* e) override {
    on_call("add_prior"), in_.add_prior(b, t, s, g, e);
  }
  void langevin_propose(const ChainBlock& b, const T* t, const T* g, const double* h, std::uint64_t s, std::uint32_t st,
                        T* o) override {
    on_call("langevin_propose"), in_.langevin_propose(b, t, g, h, s, st, o);
  }
  void mala_q(const ChainBlock& b, const T* t, const T* f, const T* g, const double* h, double* a) override {
    on_call("mala_q"), in_.mala_q(b, t, f, g, h, a);
  }
  void normal_scaled(const ChainBlock& b, double sc, std::uint64_t s, std::uint32_t st, T* o) override {
    on_call("normal_scaled"), in_.normal_scaled(b, sc, s, st, o);
  }
  void kick(const ChainBlock& b, const T* g, const double* h, double f, T* p) override {
    on_call("kick"), in_.kick(b, g, h, f, p);
  }
  void kick_drift(const ChainBlock& b, const T* g, const double* h, int k, double im, T* p, const T* t, T* o) override {
    on_call("kick_drift"), in_.kick_drift(b, g, h, k, im, p, t, o);
  }
  void sum_squares(const ChainBlock& b, const T* x, double w, double* a) override {
    on_call("sum_squares"), in_.sum_squares(b, x, w, a);
  }
  void select(const ChainBlock& b, const std::uint8_t* t, const T* s, T* d) override {
    on_call("select"), in_.select(b, t, s, d);
  }
  void accumulate(long n, const T* s, double sc, double* a) override {
    on_call("accumulate"), in_.accumulate(n, s, sc, a);
  }
  void chain_dot(int r, int c, int C, const T* A, int la, long sa, const T* B, int lb, long sb, double* o) override {
    on_call("chain_dot"), in_.chain_dot(r, c, C, A, la, sa, B, lb, sb, o);
  }
  void im2col(int N, int D, int S, int ci, int C, const int* nb, const T* in, T* out) override {
    on_call("im2col"), in_.im2col(N, D, S, ci, C, nb, in, out);
  }
  void col2im(int N, int D, int S, int ci, int C, const int* inv, const T* in, T* out) override {
    on_call("col2im"), in_.col2im(N, D, S, ci, C, inv, in, out);
  }
  void nonfinite(const ChainBlock& b, const T* x, std::uint8_t* f) override {
    on_call("nonfinite"), in_.nonfinite(b, x, f);
  }
  void stein_field(const shared::SteinFieldArgs<T>& a) override { on_call("stein_field"), in_.stein_field(a); }
  void field_correction(const shared::FieldCorrectionArgs<T>& a) override {
    on_call("field_correction"), in_.field_correction(a);
  }
  void group_moments(long E, int C, int G, const double* s, double* s1, double* s2) override {
    on_call("group_moments"), in_.group_moments(E, C, G, s, s1, s2);
  }

 protected:
  // Called with the operation's name before it is forwarded.
  virtual void on_call(const char* op) = 0;
  Backend<T>& inner() { return in_; }

 private:
  Backend<T>& in_;
};

}  // namespace fwmc
