// Typed, validating access to one [section] of a TOML document. Every error is an InputError of the form
// "<source>: [section] key = value: problem".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "fwmc/settings.hpp"

namespace fwmc {

class SectionReader {
 public:
  SectionReader(const toml::table& root, std::string section, std::string source);

  void get(const char* key, int& out, long lo, long hi) const;
  void get(const char* key, long& out, long lo, long hi) const;
  void get(const char* key, std::uint64_t& out) const;
  void get(const char* key, double& out, double lo, double hi, bool lo_open = false) const;
  void get(const char* key, bool& out) const;
  void get(const char* key, std::string& out, const std::vector<std::string>& allowed = {}) const;
  // An enumerated setting by its names (settings.hpp).
  template <class E>
  void get_setting(const char* key, E& out) const {
    std::vector<std::string> names;
    for (const auto& nv : setting_names<E>()) names.push_back(nv.first);
    std::string v = name_of(out);
    get(key, v, names);
    value_of(v, out);
  }
  void get(const char* key, std::vector<int>& out, long lo, long hi) const;
  // A number or a list of numbers.
  void get(const char* key, std::vector<double>& out, double lo, double hi, bool lo_open) const;

  [[noreturn]] void fail(const char* key, const std::string& problem) const;

 private:
  const toml::node* find(const char* key) const;
  const toml::table* table_ = nullptr;
  std::string section_, source_;
};

// Throws when the document has a section or key outside the schema, with a did-you-mean hint.
void check_known_keys(const toml::table& root, const std::string& source);

}  // namespace fwmc
