// Output files: atomic writes (temp + fsync + rename) so a crash never leaves a half-written file.
#pragma once
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace fwmc {

void write_file_atomic(const std::string& path, const std::string& contents);

// Removes the temp files of interrupted atomic writes (.fwmc-tmp.NAME.PID) in dir.
void remove_stale_temp_files(const std::string& dir);
// Whether path is such a temp file (a plain file named .fwmc-tmp.*).
bool is_temp_file(const std::string& path);
// Removes the files fwmc wrote in dir by its own records: those its manifests (summary.json, theory.json,
// oracle.json) list, the manifests, and its checkpoints; anything else stays (--force).
void clear_fwmc_outputs(const std::string& dir);

}  // namespace fwmc
