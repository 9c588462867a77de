#include "fwmc/checkpoint.hpp"

#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "fwmc/errors.hpp"
#include "fwmc/safe_file.hpp"

namespace fwmc {

namespace {

constexpr char kMagic[8] = {'F', 'W', 'M', 'C', 'C', 'K', 'P', 'T'};
constexpr std::uint32_t kFormat = 1;

template <class E>
void put_raw(std::string& s, const E& x) {
  s.append(reinterpret_cast<const char*>(&x), sizeof x);
}

template <class E>
bool get_raw(const std::string& s, std::size_t& pos, E& x) {
  if (pos + sizeof x > s.size()) return false;
  std::memcpy(&x, s.data() + pos, sizeof x);
  pos += sizeof x;
  return true;
}

bool get_str(const std::string& s, std::size_t& pos, std::string& out) {
  std::uint64_t n = 0;
  if (!get_raw(s, pos, n) || n > s.size() - pos) return false;
  out.assign(s.data() + pos, n);
  pos += n;
  return true;
}

void put_str(std::string& s, const std::string& x) {
  put_raw(s, static_cast<std::uint64_t>(x.size()));
  s += x;
}

}  // namespace

std::uint64_t fnv1a(const void* data, std::size_t n, std::uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

std::string CheckpointData::serialize() const {
  std::string s(kMagic, sizeof kMagic);
  put_raw(s, kFormat);
  put_str(s, version);
  put_raw(s, config_hash);
  put_raw(s, static_cast<std::uint64_t>(sections_.size()));
  for (const auto& [name, bytes] : sections_) {
    put_str(s, name);
    put_str(s, bytes);
  }
  put_raw(s, fnv1a(s.data(), s.size()));
  return s;
}

CheckpointData CheckpointData::parse(const std::string& s, const std::string& path) {
  auto fail = [&](const std::string& why) -> CheckpointData {
    throw InputError(path + ": not a usable fwmc checkpoint (" + why + ")");
  };
  if (s.size() < sizeof kMagic + 12 || std::memcmp(s.data(), kMagic, sizeof kMagic) != 0) return fail("bad magic");
  std::uint64_t sum = 0;
  std::memcpy(&sum, s.data() + s.size() - 8, 8);
  if (fnv1a(s.data(), s.size() - 8) != sum) return fail("checksum mismatch: truncated or corrupted");
  CheckpointData d;
  std::size_t pos = sizeof kMagic;
  std::uint32_t format = 0;
  std::uint64_t count = 0;
  if (!get_raw(s, pos, format) || format != kFormat) return fail("format " + std::to_string(format) + ", expected 1");
  if (!get_str(s, pos, d.version) || !get_raw(s, pos, d.config_hash) || !get_raw(s, pos, count)) return fail("header");
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string name, bytes;
    if (!get_str(s, pos, name) || !get_str(s, pos, bytes)) return fail("section " + std::to_string(i));
    d.sections_[name] = std::move(bytes);
  }
  if (pos != s.size() - 8) return fail("trailing bytes");
  return d;
}

const std::string& CheckpointData::section(const std::string& name, std::size_t elem) const {
  auto it = sections_.find(name);
  if (it == sections_.end() || it->second.size() % elem != 0) bad(name);
  return it->second;
}

void CheckpointData::bad(const std::string& name) const {
  throw RuntimeError("checkpoint: section '" + name + "' is missing or malformed");
}

CheckpointData read_checkpoint(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) throw InputError(path + ": no checkpoint to resume from");
  // A regular file, never through a link, and fwmc's magic before the rest is read (a link to /dev/zero, or a
  // FIFO, would otherwise be read for ever).
  std::uintmax_t size = 0;
  const int fd = open_regular_file(path, std::uintmax_t(1) << 40, &size);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t r = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    done += static_cast<std::size_t>(r);
    if (done >= sizeof kMagic && std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) break;  // not a checkpoint
  }
  ::close(fd);
  bytes.resize(done);
  return CheckpointData::parse(bytes, path);
}

bool is_checkpoint_file(const std::string& path) {
  if (!is_plain_file(path)) return false;
  try {
    const int fd = open_regular_file(path, std::uintmax_t(1) << 40);
    char m[sizeof kMagic] = {};
    const bool ok = ::read(fd, m, sizeof m) == static_cast<ssize_t>(sizeof m) && std::memcmp(m, kMagic, sizeof m) == 0;
    ::close(fd);
    return ok;
  } catch (const InputError&) {
    return false;
  }
}

}  // namespace fwmc
