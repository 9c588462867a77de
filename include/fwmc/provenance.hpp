// Provenance: a fingerprint of everything that determines a run's result (the resolved config, the content of
// every data file, the fwmc version, backend, precision and process count). It goes into every checkpoint and
// summary.json, so that --resume and sweep reuse can refuse, naming the key or file, to mix results.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fwmc/config.hpp"

namespace fwmc {

struct DataFileHash {
  std::string key;   // "data.x", "data.y", "data.x_test"
  std::string path;  // as the config names it (absolute)
  std::uintmax_t bytes = 0;
  std::uint64_t fnv1a = 0;  // of the file's bytes
};

struct Provenance {
  std::string version;
  std::uint64_t config_hash = 0;
  nlohmann::ordered_json config;  // the resolved config (to name the keys that differ)
  std::vector<DataFileHash> data;
  std::string backend;  // "cpu" or "cuda"
  std::string precision;
  int ranks = 1;

  nlohmann::ordered_json to_json() const;
  // Throws InputError naming `what` when j is not a provenance record.
  static Provenance from_json(const nlohmann::json& j, const std::string& what);
};

// Hash of everything in the config that determines the results ([output] dir and checkpoint_every do not).
std::uint64_t config_hash(const Config& c);
// A 64-bit hash as 16 hex digits (as the JSON records write them).
std::string hex64(std::uint64_t h);
// The hash of a file's bytes (FNV-1a, 64 bit), read in blocks.
std::uint64_t file_fnv1a(const std::string& path, std::uintmax_t* bytes = nullptr);
Provenance provenance_of(const Config& c, const std::string& backend, int ranks);
// The same with the data files' hashes given (e.g. of data about to be written: fwmc sweep's synthetic data).
Provenance provenance_of(const Config& c, const std::string& backend, int ranks, std::vector<DataFileHash> data);
// What differs between an earlier run (`was`) and this one (`now`), as a phrase naming the keys or files
// ("[posterior] beta: 2 -> 20", "data.x (/path/x.npy): its content changed"); empty when nothing does.
std::string provenance_difference(const Provenance& was, const Provenance& now);
// The keys whose values differ between two configs as JSON, "[section] key: old -> new", at most `max` of them.
std::string config_difference(const nlohmann::json& was, const nlohmann::json& now, int max = 3);

}  // namespace fwmc
