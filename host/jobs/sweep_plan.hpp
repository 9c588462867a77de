// A sweep's runs before any starts: each width's config, checked, and the data every width shares.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fwmc/config.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/provenance.hpp"

namespace fwmc::jobs {

struct SweepShape {
  std::vector<int> widths;
  std::string pattern;  // e.g. "n,50,n": per hidden layer, n = the sweep width; empty: every layer n
  int repeats = 1;
};

// InputError naming the option for too few, repeated or impossible widths, a pattern without n, or too many runs.
void check_sweep_shape(const SweepShape& s);

// One run of the sweep: its config and (width, repeat).
struct WidthJob {
  Config c;
  int width = 0, repeat = 0;
};
// Every width's config (output folder width_<n>[_r<k>], seed per repeat), validated before anything runs.
std::vector<WidthJob> width_jobs(const Config& base, const SweepShape& s);

// Every width must see the same data: synthetic data is materialised once (a synthetic teacher would otherwise
// change with the width), as are arrays given in memory. Into files in the sweep folder (their bytes made here,
// written after the earlier runs in the folder were checked against them), or in memory.
struct SweepData {
  std::vector<std::pair<std::string, std::string>> files;  // path, npy bytes
  std::vector<DataFileHash> hashes;
  std::optional<InputArrays> arrays;  // in memory: what every width reads
};
// Points every job at the materialised data.
SweepData materialise_data(const Config& base, const InputArrays* arrays, std::vector<WidthJob>& jobs, bool to_files);

}  // namespace fwmc::jobs
