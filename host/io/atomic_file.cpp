#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <regex>

#include "fwmc/atomic_file.hpp"
#include "fwmc/errors.hpp"

namespace fwmc {

void write_file_atomic(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  // Every failure names the OS's reason (disk full, quota, permissions) and removes the temp file.
  auto fail = [&](int fd, const char* what) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    std::remove(tmp.c_str());
    throw RuntimeError(path + ": " + what + " (" + why + ")");
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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

void remove_stale_temp_files(const std::string& dir) {
  static const std::regex temp(R"(.*\.tmp\.[0-9]+)");
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file() && std::regex_match(e.path().filename().string(), temp))
      std::filesystem::remove(e.path(), ec);
}

void clear_fwmc_outputs(const std::string& dir) {
  static const std::regex owned(
      R"((K[0-9]+|Q1)_[a-z_]+\.npy|summary\.json|theory\.json|oracle\.json|checkpoint(\.rank[0-9]+)?\.bin)");
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file() && std::regex_match(e.path().filename().string(), owned))
      std::filesystem::remove(e.path(), ec);
}

}  // namespace fwmc
