// Per-chain scalar traces of a run (U, the loss, tr(K_l Phi)), draw-major, for convergence diagnostics.
#pragma once
#include <string>
#include <vector>

#include "fwmc/checkpoint.hpp"

namespace fwmc {

// Per-chain scalar traces, draw-major: values[k][draw * chains + c].
struct Traces {
  int chains = 0;
  long draws = 0;
  std::vector<std::string> names;
  std::vector<std::vector<double>> values;
  // The series of trace k as one vector per chain.
  std::vector<std::vector<double>> per_chain(std::size_t k) const;
  // Appends one draw of trace k (one value per chain).
  void append(std::size_t k, const std::vector<double>& per_chain_values);
  // For checkpoints: every trace under prefix + "trace<k>"; load checks that `draws` draws of `chains` are there.
  void save(CheckpointData& ck, const std::string& prefix) const;
  void load(const CheckpointData& ck, const std::string& prefix, long draws);
  void reserve(long draws);
};

// Names of the traces a run records: U, loss, trK<l>Phi for l = 1..L.
std::vector<std::string> trace_names(int L);

}  // namespace fwmc
