#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "fwmc/atomic_file.hpp"
#include "fwmc/checkpoint.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/safe_file.hpp"

namespace fwmc {

namespace {

// Temp files live in fwmc's own namespace (hidden, prefixed), so that cleaning up after a killed writer can never
// match a file of the user's.
const char* kTempPrefix = ".fwmc-tmp.";

std::string temp_path_for(const std::string& path) {
  const std::filesystem::path p(path);
  return (p.parent_path() / (kTempPrefix + p.filename().string() + "." + std::to_string(::getpid()))).string();
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& contents) {
  const std::string tmp = temp_path_for(path);
  // Every failure names the OS's reason (disk full, quota, permissions) and removes the temp file.
  auto fail = [&](int fd, const char* what) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    std::remove(tmp.c_str());
    throw RuntimeError(path + ": " + what + " (" + why + ")");
  };
  // O_EXCL | O_NOFOLLOW: never write through a link planted under the temp name (a stale temp file of this pid,
  // left by a killed writer, is removed first).
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) fail(fd, "cannot write");
  std::size_t done = 0;
  while (done < contents.size()) {
    ssize_t w = ::write(fd, contents.data() + done, contents.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = EIO;
      fail(fd, "write failed");
    }
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd) != 0 && errno != EINVAL) fail(fd, "write failed");  // delayed allocation reports ENOSPC here
  if (::close(fd) != 0) fail(-1, "write failed");
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail(-1, "rename failed");
  // The rename itself is durable only once the directory is synced.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

bool is_temp_file(const std::string& path) {
  return std::filesystem::path(path).filename().string().rfind(kTempPrefix, 0) == 0 && is_plain_file(path);
}

void remove_stale_temp_files(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (is_temp_file(e.path().string())) std::filesystem::remove(e.path(), ec);
}

void clear_fwmc_outputs(const std::string& dir) {
  // What fwmc wrote, by its own records: the files each manifest lists (and the manifest), and the checkpoints
  // (recognised by their magic). A file of the user's that only looks like an output (K1_weights.npy) stays.
  std::error_code ec;
  for (const char* manifest : {"summary.json", "theory.json", "oracle.json"}) {
    const std::string m = dir + "/" + manifest;
    if (!is_plain_file(m)) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_regular_file(m, std::uintmax_t(64) << 20));
    } catch (const std::exception&) {
      continue;  // not a manifest fwmc wrote
    }
    if (!j.is_object() || !j.contains("fwmc_version") || !j.contains("files") || !j["files"].is_array()) continue;
    for (const auto& f : j["files"]) {
      const std::string name = f.is_object() ? f.value("name", "") : "";
      // A plain name in this folder, never a path out of it.
      if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) continue;
      std::filesystem::remove(dir + "/" + name, ec);  // a link is removed itself, its target never touched
    }
    std::filesystem::remove(m, ec);
  }
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("checkpoint", 0) == 0 && is_checkpoint_file(e.path().string())) std::filesystem::remove(e.path(), ec);
  }
}

}  // namespace fwmc
