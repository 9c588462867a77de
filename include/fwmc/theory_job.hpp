// The jobs that sample nothing: fwmc theory (the NNGP kernels and the leading-order correction) and fwmc oracle
// (the exact importance-sampling reference of docs/theory.md 8). Each returns its outputs in memory and writes
// the folder (theory.json or oracle.json as the manifest) when asked.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fwmc/job.hpp"
#include "fwmc/named_array.hpp"
#include "fwmc/oracle.hpp"
#include "fwmc/theory.hpp"

namespace fwmc::jobs {

struct TheoryRequest {
  JobInput input;
  bool write = true;   // false: in memory only
  bool force = false;  // replace fwmc's files in a non-empty folder
};

struct TheoryOutcome {
  TheoryResult theory;
  std::vector<NamedArray> arrays;  // K<l>_nngp, K<l>_theory, K<l>_theory_se
  nlohmann::ordered_json summary;  // theory.json
  std::string report;              // what `fwmc theory` prints
  std::string out_dir;             // where the outputs were written; empty: nowhere
};

TheoryOutcome theory_job(const TheoryRequest& req, const JobHooks& hooks);

struct OracleRequest {
  JobInput input;
  long draws = 0;  // prior draws; 0: [theory] draws
  bool write = true;
  bool force = false;
};

struct OracleOutcome {
  OracleResult oracle;
  std::vector<NamedArray> arrays;  // K<l>_mean, K<l>_mcse
  nlohmann::ordered_json summary;  // oracle.json
  std::string report;              // what `fwmc oracle` prints
  std::string out_dir;
};

OracleOutcome oracle_job(const OracleRequest& req, const JobHooks& hooks);

}  // namespace fwmc::jobs
