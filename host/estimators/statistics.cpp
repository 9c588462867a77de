// The slots of the per-draw statistics and their checkpoint names.
#include "fwmc/statistics.hpp"

namespace fwmc {

Statistics::Statistics(const ModelSpec& m, bool with_stein)
    : layers(m.depth()),
      stein(with_stein),
      preact(with_stein && m.activation != Activation::linear),
      readout(with_stein && m.positions() == 1),
      field(with_stein && m.activation != Activation::linear && m.positions() == 1) {
  for (int l = 1; l <= layers; ++l) slots.push_back({Kind::K, l});
  if (!stein) return;
  for (int l = 1; l <= layers; ++l) slots.push_back({Kind::R, l});
  if (preact)
    for (int l = 1; l <= layers; ++l) slots.push_back({Kind::Q, l});
  if (readout) {
    slots.push_back({Kind::R, layers + 1});
    slots.push_back({Kind::Q, layers + 1});
  }
  if (field)
    for (const Kind k : {Kind::CF, Kind::K2, Kind::CF2})
      for (int l = 1; l <= layers; ++l) slots.push_back({k, l});
}

int Statistics::index(Kind kind, int l) const {
  for (std::size_t k = 0; k < slots.size(); ++k)
    if (slots[k].kind == kind && slots[k].layer == l) return static_cast<int>(k);
  return -1;
}

std::string Statistics::name(int k) const {
  const Slot& s = slots[k];
  const std::string l = s.layer > layers ? "out" : std::to_string(s.layer);
  switch (s.kind) {
    case Kind::K:
      return "sums" + l;
    case Kind::R:
      return "stein_R" + l;
    case Kind::Q:
      return "stein_Q" + l;
    case Kind::CF:
      return "stein_CF" + l;
    case Kind::K2:
      return "squares_K" + l;
    default:
      return "squares_CF" + l;
  }
}

}  // namespace fwmc
