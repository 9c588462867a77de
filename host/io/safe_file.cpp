#include "fwmc/safe_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fwmc/errors.hpp"

namespace fwmc {

int open_regular_file(const std::string& path, std::uintmax_t max_bytes, std::uintmax_t* size) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below like any other non-file.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP) throw InputError(path + ": is a symbolic link; fwmc does not follow links in its folders");
    throw InputError(path + ": cannot open (" + std::strerror(errno) + ")");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(path + ": is not a regular file (a FIFO, device or directory)");
  }
  if (static_cast<std::uintmax_t>(st.st_size) > max_bytes) {
    ::close(fd);
    throw InputError(path + ": " + std::to_string(st.st_size) + " bytes is more than such a file can be (" +
                     std::to_string(max_bytes) + ")");
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  if (size) *size = static_cast<std::uintmax_t>(st.st_size);
  return fd;
}

std::string read_regular_file(const std::string& path, std::uintmax_t max_bytes) {
  std::uintmax_t size = 0;
  const int fd = open_regular_file(path, max_bytes, &size);
  std::string s(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t r = ::read(fd, s.data() + done, s.size() - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;  // the file shrank: what was read is what there is
    done += static_cast<std::size_t>(r);
  }
  ::close(fd);
  s.resize(done);
  return s;
}

bool is_plain_file(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace fwmc
