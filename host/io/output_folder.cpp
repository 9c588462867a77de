#include "fwmc/output_folder.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fwmc/atomic_file.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/provenance.hpp"
#include "fwmc/safe_file.hpp"

namespace fwmc {

namespace fs = std::filesystem;

namespace {

const char* kLock = ".fwmc.lock";
const char* kStaging = ".fwmc-staging";

// The pid a lock holder wrote into the lock file ("" if not yet written).
std::string holder_of(int fd) {
  char b[32] = {};
  const ssize_t n = ::pread(fd, b, sizeof b - 1, 0);
  std::string s(b, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.find_first_not_of("0123456789") == std::string::npos ? s : "";
}

}  // namespace

OutputFolder::OutputFolder(const std::string& dir, Mode mode, const std::string& what, const std::string& hint)
    : dir_(dir), lock_path_(dir + "/" + kLock) {
  const std::string name = what + " = \"" + dir + "\"";
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) throw InputError(name + ": cannot create directory (" + ec.message() + ")");
    created_ = true;
  } else if (!fs::is_directory(dir, ec)) {
    throw InputError(name + ": exists and is not a directory");
  }
  try {
    // The lock. flock is released by the kernel when its holder dies, so a killed run never blocks the folder;
    // the inode check catches a holder that removed the file between our open and our lock.
    for (int attempt = 0; attempt < 8 && lock_fd_ < 0; ++attempt) {
      // Never through a link (a planted .fwmc.lock -> the user's file would be truncated), never a FIFO.
      const int fd = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
      if (fd < 0 && errno == ELOOP)
        throw InputError(name + ": its lock file " + kLock +
                         " is a symbolic link; remove it (fwmc does not follow "
                         "links in its folders)");
      if (fd < 0) throw InputError(name + ": not writable (" + std::strerror(errno) + ")");
      struct stat lst {};
      if (::fstat(fd, &lst) != 0 || !S_ISREG(lst.st_mode)) {
        ::close(fd);
        throw InputError(name + ": its lock file " + kLock +
                         " is not a regular file (a FIFO, device or "
                         "directory); remove it");
      }
      if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        std::string pid = holder_of(fd);
        for (int i = 0; i < 20 && pid.empty(); ++i) {  // the holder may be about to write its pid
          ::usleep(5000);
          pid = holder_of(fd);
        }
        ::close(fd);
        throw InputError(name + ": in use by another fwmc process" + (pid.empty() ? "" : " (pid " + pid + ")") +
                         "; wait for it to finish, or choose another folder");
      }
      struct stat a {
      }, b{};
      if (::fstat(fd, &a) == 0 && ::stat(lock_path_.c_str(), &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
        lock_fd_ = fd;
      } else {
        ::close(fd);
      }
    }
    if (lock_fd_ < 0) throw InputError(name + ": could not take its lock file " + kLock);
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(lock_fd_, 0) != 0 ||
        ::pwrite(lock_fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
      throw InputError(name + ": not writable (" + std::strerror(errno) + ")");
    // Fresh: nothing but what a killed fwmc leaves before its first record (its lock, temp files of an atomic write
    // cut short, a staging folder), all removed below; a kill at any moment of a start must not block the next one.
    if (mode == Mode::fresh)
      for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename() != kLock && e.path().filename() != kStaging && !is_temp_file(e.path().string()))
          throw InputError(name + ": exists and is not empty; " + hint);
    // What a killed writer left: temp files of atomic writes and a staging folder never published.
    remove_stale_temp_files(dir);
    fs::remove_all(dir + "/" + kStaging, ec);
    if (mode == Mode::force) clear_fwmc_outputs(dir);
  } catch (...) {
    release();
    if (created_) fs::remove(dir, ec);
    throw;
  }
}

OutputFolder::~OutputFolder() {
  discard_staging();
  remove_if_unused();  // a failed start leaves no empty folder behind
  release();
}

void OutputFolder::release() {
  if (lock_fd_ < 0) return;
  ::unlink(lock_path_.c_str());  // before unlocking, so that nobody locks a file no longer in the folder
  ::close(lock_fd_);
  lock_fd_ = -1;
}

void OutputFolder::remove_if_unused() {
  if (!created_) return;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec))
    if (e.path().filename() != kLock) return;
  release();
  fs::remove(dir_, ec);
}

const std::string& OutputFolder::staging_dir() {
  if (staging_.empty()) {
    staging_ = dir_ + "/" + kStaging;
    std::error_code ec;
    fs::create_directories(staging_, ec);
    if (ec) throw RuntimeError(staging_ + ": cannot create (" + ec.message() + ")");
  }
  return staging_;
}

void OutputFolder::discard_staging() {
  std::error_code ec;
  if (!staging_.empty()) fs::remove_all(staging_, ec);
  staging_.clear();
}

std::vector<std::string> OutputFolder::publish(const std::string& manifest_name, nlohmann::ordered_json& manifest) {
  std::vector<std::string> names;
  if (!staging_.empty())
    for (const auto& e : fs::directory_iterator(staging_))
      if (e.is_regular_file()) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& n : names) {
    std::uintmax_t bytes = 0;
    const std::uint64_t h = file_fnv1a(staging_ + "/" + n, &bytes);
    files.push_back({{"name", n}, {"bytes", bytes}, {"fnv1a64", hex64(h)}});
  }
  for (const auto& n : names)
    if (std::rename((staging_ + "/" + n).c_str(), (dir_ + "/" + n).c_str()) != 0)
      throw RuntimeError(dir_ + "/" + n + ": cannot publish (" + std::strerror(errno) + ")");
  manifest["files"] = files;
  write_file_atomic(dir_ + "/" + manifest_name, manifest.dump(2) + "\n");  // last: it makes the folder a result
  discard_staging();
  names.push_back(manifest_name);
  return names;
}

std::vector<std::string> verify_manifest(const std::string& dir, const std::string& manifest_name) {
  const std::string path = dir + "/" + manifest_name;
  nlohmann::json j;
  if (::access(path.c_str(), F_OK) != 0) throw InputError(path + ": missing: the folder holds no complete result");
  try {
    j = nlohmann::json::parse(read_regular_file(path, std::uintmax_t(256) << 20));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": not valid JSON (" + std::string(e.what()).substr(0, 120) + ")");
  }
  if (!j.contains("files") || !j["files"].is_array()) throw InputError(path + ": lists no output files");
  std::vector<std::string> bad;
  for (const auto& f : j["files"]) {
    const std::string n = f.value("name", "");
    if (n.empty() || n.find('/') != std::string::npos || !is_plain_file(dir + "/" + n)) {
      bad.push_back(n + ": missing (or not a regular file)");
      continue;
    }
    std::uintmax_t bytes = 0;
    const std::uint64_t h = file_fnv1a(dir + "/" + n, &bytes);
    if (bytes != f.value("bytes", std::uintmax_t(0)) || hex64(h) != f.value("fnv1a64", std::string()))
      bad.push_back(n + ": differs from the manifest");
  }
  return bad;
}

}  // namespace fwmc
