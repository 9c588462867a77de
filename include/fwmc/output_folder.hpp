// An output folder claimed by one fwmc process. Claiming refuses a folder that is in use (an exclusive lock,
// .fwmc.lock, naming the holder's pid) or that is not empty (unless --force, which first removes the files fwmc
// owns, or --resume); it removes the temp files of a killed writer. Outputs are staged in .fwmc-staging/ and
// published together: each staged file is renamed into the folder and the manifest (summary.json, theory.json
// or oracle.json, listing every file with its size and hash) is written last. A folder without its manifest is
// not a result.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fwmc {

class OutputFolder {
 public:
  enum class Mode { fresh, force, resume, reuse };  // reuse: a sweep folder, whose runs are checked one by one
  // `what` names the folder in messages, e.g. "[output] dir". Throws InputError (nothing created or changed)
  // when the folder is in use, not empty in fresh mode, or cannot be created.
  // `hint` ends the message that refuses a non-empty folder.
  OutputFolder(const std::string& dir, Mode mode, const std::string& what = "[output] dir",
               const std::string& hint = "use --force to replace fwmc's files in it");
  // Releases the lock; removes what was staged and not published, and the folder itself if this process
  // created it and nothing was published.
  ~OutputFolder();
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;

  const std::string& dir() const { return dir_; }
  // The folder to write outputs into before publish() (created on first use).
  const std::string& staging_dir();
  // Renames every staged file into the folder, adds manifest["files"] listing them (name, bytes, fnv1a64) and
  // writes the manifest as `manifest_name`, last. Returns the published file names.
  std::vector<std::string> publish(const std::string& manifest_name, nlohmann::ordered_json& manifest);
  // Removes the staging folder if it was not published (a failed write leaves no partial file).
  void discard_staging();
  // Removes the folder if this process created it and nothing but the lock is in it (an interrupted start).
  void remove_if_unused();

 private:
  void release();
  std::string dir_, lock_path_, staging_;
  int lock_fd_ = -1;
  bool created_ = false;
};

// The files of a published folder that fail its manifest's sizes and hashes ("K1_mean.npy: missing", ...);
// empty when the folder is a complete result. Throws InputError when the manifest is missing or unreadable.
std::vector<std::string> verify_manifest(const std::string& dir, const std::string& manifest_name);

}  // namespace fwmc
