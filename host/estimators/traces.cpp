// Per-chain traces: recording, per-chain views and checkpoints.
#include "fwmc/traces.hpp"

#include "fwmc/errors.hpp"

namespace fwmc {

std::vector<std::vector<double>> Traces::per_chain(std::size_t k) const {
  std::vector<std::vector<double>> out(chains, std::vector<double>(draws));
  for (long d = 0; d < draws; ++d)
    for (int c = 0; c < chains; ++c) out[c][d] = values[k][d * chains + c];
  return out;
}

std::vector<std::string> trace_names(int L) {
  std::vector<std::string> n = {"U", "loss"};
  for (int l = 1; l <= L; ++l) n.push_back("trK" + std::to_string(l) + "Phi");
  return n;
}

void Traces::append(std::size_t k, const std::vector<double>& v) {
  values[k].insert(values[k].end(), v.begin(), v.end());
}

void Traces::save(CheckpointData& ck, const std::string& prefix) const {
  for (std::size_t k = 0; k < values.size(); ++k) ck.put(prefix + "trace" + std::to_string(k), values[k]);
}

void Traces::load(const CheckpointData& ck, const std::string& prefix, long n) {
  for (std::size_t k = 0; k < values.size(); ++k) {
    auto v = ck.get<double>(prefix + "trace" + std::to_string(k));
    if (v.size() != static_cast<std::size_t>(n) * chains)
      throw RuntimeError("checkpoint: traces do not match this run");
    values[k].assign(v.begin(), v.end());
  }
  draws = n;
}

void Traces::reserve(long n) {
  for (auto& v : values) v.reserve(static_cast<std::size_t>(n) * chains);
}

}  // namespace fwmc
