// Which chains of a batch still count. A chain whose state is non-finite, or that diverges more than
// divergence_budget times after warm-up, is dropped at that step: it adds nothing to the kernel sums from then on
// (its earlier draws were of finite states and stay), its traces read NaN, and summary.json counts it.
#pragma once
#include <cstdint>
#include <vector>

#include "fwmc/checkpoint.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/transition.hpp"
#include "host/run/run_totals.hpp"

namespace fwmc {

class DropPolicy {
 public:
  DropPolicy(int batch, long divergence_budget)
      : alive_(batch, 1), divergences_(batch, 0), budget_(divergence_budget) {}
  // After a step (sampling: past warm-up, where divergences count against the budget).
  void observe(const StepInfo& info, bool sampling, RunCounters& n) {
    for (std::size_t k = 0; k < alive_.size(); ++k) {
      if (sampling && info.divergent[k]) ++divergences_[k];
      if (!alive_[k]) continue;
      if (info.bad_state[k]) {
        alive_[k] = 0;
        ++n.dropped_nonfinite;
      } else if (budget_ >= 0 && divergences_[k] > budget_) {
        alive_[k] = 0;
        ++n.dropped_divergent;
      }
    }
  }
  const std::vector<std::uint8_t>& alive() const { return alive_; }
  void save(CheckpointData& ck) const {
    ck.put("batch/alive", alive_);
    ck.put("batch/divergences", divergences_);
  }
  void load(const CheckpointData& ck) {
    auto alive = ck.get<std::uint8_t>("batch/alive");
    auto divs = ck.get<long>("batch/divergences");
    if (alive.size() != alive_.size() || divs.size() != alive_.size())
      throw RuntimeError("checkpoint: chain flags do not match this run");
    alive_ = std::move(alive);
    divergences_ = std::move(divs);
  }

 private:
  std::vector<std::uint8_t> alive_;
  std::vector<long> divergences_;
  long budget_;
};

}  // namespace fwmc
