// The per-draw statistics a run sums per chain group, as named slots.
#pragma once
#include <string>
#include <vector>

#include "fwmc/model_spec.hpp"

namespace fwmc {

// The per-draw tensors a run sums per chain group, as a list of named slots. For each layer l: the kernel K<l>
// always; with the Stein estimators (docs/theory.md 11) also R<l> (before symmetrisation) and, for nonlinear nets,
// the pre-activation kernel Q<l> (a linear net has Q_l = K_l); for fcn also the readout's R and Q (its
// "pre-activation" is f, so Q_out = f f^T / n_d), whose zero-mean C_out tracks the slow function-space
// fluctuations; and for nonlinear fcn the conditional field's per-draw estimate CF<l> (docs/theory.md 12), with
// the sums of squares of it and of the plain per-draw kernel (K2<l>, CF2<l>) for their per-draw spreads.
struct Statistics {
  enum class Kind { K, R, Q, CF, K2, CF2 };
  struct Slot {
    Kind kind;
    int layer;  // 1..L, or L + 1 for the readout's R and Q
  };
  int layers = 0;
  bool stein = false, preact = false, readout = false, field = false;
  std::vector<Slot> slots;
  Statistics() = default;
  Statistics(const ModelSpec& m, bool with_stein);
  int count() const { return static_cast<int>(slots.size()); }
  // The slot of a statistic, -1 when the run has none; l = L + 1 names the readout's R and Q.
  int index(Kind kind, int l) const;
  int K(int l) const { return index(Kind::K, l); }
  int R(int l) const { return index(Kind::R, l); }
  int Q(int l) const { return index(Kind::Q, l); }
  int CF(int l) const { return index(Kind::CF, l); }
  int K2(int l) const { return index(Kind::K2, l); }
  int CF2(int l) const { return index(Kind::CF2, l); }
  // Checkpoint names: "sums<l>" (the kernel), "stein_R<l>", "stein_Q<l>", "stein_Rout", "stein_Qout",
  // "stein_CF<l>", "squares_K<l>", "squares_CF<l>".
  std::string name(int k) const;
};

}  // namespace fwmc
