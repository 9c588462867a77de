// Checkpoint files: named byte sections behind a header (magic, format, fwmc version, config hash) and an FNV-1a
// checksum of everything before it. Written with write_file_atomic (temp file, fsync, rename, fsync of the
// directory), so a kill at any moment leaves either the previous complete checkpoint or the new one.
#pragma once
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace fwmc {

std::uint64_t fnv1a(const void* data, std::size_t n, std::uint64_t h = 1469598103934665603ULL);

class CheckpointData {
 public:
  std::string version;  // fwmc version that wrote it
  std::uint64_t config_hash = 0;

  void put_bytes(const std::string& name, const void* p, std::size_t n) {
    sections_[name].assign(static_cast<const char*>(p), static_cast<const char*>(p) + n);
  }
  template <class E>
  void put(const std::string& name, const std::vector<E>& v) {
    put_bytes(name, v.data(), v.size() * sizeof(E));
  }
  void put_string(const std::string& name, const std::string& s) { put_bytes(name, s.data(), s.size()); }
  template <class E>
  void put_value(const std::string& name, const E& x) {
    put_bytes(name, &x, sizeof x);
  }

  bool has(const std::string& name) const { return sections_.count(name) != 0; }
  void erase(const std::string& name) { sections_.erase(name); }
  // Throws RuntimeError naming the section when it is missing or its size does not fit E.
  template <class E>
  std::vector<E> get(const std::string& name) const {
    const std::string& b = section(name, sizeof(E));
    std::vector<E> v(b.size() / sizeof(E));
    if (!v.empty()) std::memcpy(v.data(), b.data(), b.size());
    return v;
  }
  std::string get_string(const std::string& name) const { return section(name, 1); }
  template <class E>
  E get_value(const std::string& name) const {
    const auto v = get<E>(name);
    if (v.size() != 1) bad(name);
    return v[0];
  }

  std::string serialize() const;
  // Parses and verifies; throws InputError naming `path` when the file is not a complete fwmc checkpoint.
  static CheckpointData parse(const std::string& bytes, const std::string& path);

 private:
  const std::string& section(const std::string& name, std::size_t elem) const;
  [[noreturn]] void bad(const std::string& name) const;
  std::map<std::string, std::string> sections_;
};

// (Written with write_file_atomic of fwmc/atomic_file.hpp.)
// Refuses (InputError) a link, a non-regular file and a file without fwmc's magic, before reading it whole.
CheckpointData read_checkpoint(const std::string& path);
// Whether path is a regular file (not a link) that starts with fwmc's checkpoint magic.
bool is_checkpoint_file(const std::string& path);

}  // namespace fwmc
