#include "fwmc/provenance.hpp"

#include <cinttypes>
#include <cstdio>
#include <fstream>

#include "fwmc/checkpoint.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/version.hpp"

namespace fwmc {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

// The resolved config without what does not change the result.
ojson result_config(const Config& c) {
  auto j = ojson::parse(config_to_json(c));
  j["output"].erase("dir");
  j["output"].erase("checkpoint_every");
  return j;
}

std::uint64_t unhex(const json& j, const std::string& what) {
  if (!j.is_string()) throw InputError(what + ": provenance record is damaged (a hash is not a string)");
  return std::strtoull(j.get<std::string>().c_str(), nullptr, 16);
}

// A config value for a message: short, one line.
std::string shown(const json& v) {
  std::string s = v.is_null() ? "(absent)" : v.dump();
  if (s.size() > 60) s = s.substr(0, 45) + "..." + s.substr(s.size() - 12);
  return s;
}

void differences(const json& was, const json& now, const std::string& section, std::vector<std::string>& out) {
  if (was.is_object() && now.is_object()) {
    for (auto it = was.begin(); it != was.end(); ++it) {
      const json& other = now.contains(it.key()) ? now[it.key()] : json();
      if (section.empty())
        differences(it.value(), other, it.key(), out);
      else if (it.value() != other)
        out.push_back("[" + section + "] " + it.key() + ": " + shown(it.value()) + " -> " + shown(other));
    }
    for (auto it = now.begin(); it != now.end(); ++it)
      if (!was.contains(it.key())) {
        if (section.empty())
          differences(json(), it.value(), it.key(), out);
        else
          out.push_back("[" + section + "] " + it.key() + ": (absent) -> " + shown(it.value()));
      }
    return;
  }
  if (was != now)
    out.push_back((section.empty() ? std::string("config") : "[" + section + "]") + ": " + shown(was) + " -> " +
                  shown(now));
}

}  // namespace

std::string hex64(std::uint64_t h) {
  char b[24];
  std::snprintf(b, sizeof b, "%016" PRIx64, h);
  return b;
}

std::uint64_t config_hash(const Config& c) {
  const std::string s = result_config(c).dump();
  return fnv1a(s.data(), s.size());
}

std::uint64_t file_fnv1a(const std::string& path, std::uintmax_t* bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open to fingerprint it");
  std::uint64_t h = 1469598103934665603ULL;
  std::uintmax_t n = 0;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    h = fnv1a(buf.data(), got, h);
    n += got;
  }
  if (bytes) *bytes = n;
  return h;
}

Provenance provenance_of(const Config& c, const std::string& backend, int ranks) {
  std::vector<DataFileHash> data;
  if (c.data.kind != DataKind::synthetic)
    for (const auto& [key, path] : {std::pair<std::string, std::string>{"data.x", c.data.x},
                                    {"data.y", c.data.y},
                                    {"data.x_test", c.data.x_test}})
      if (!path.empty()) {
        DataFileHash f{key, path};
        f.fnv1a = file_fnv1a(path, &f.bytes);
        data.push_back(f);
      }
  return provenance_of(c, backend, ranks, std::move(data));
}

Provenance provenance_of(const Config& c, const std::string& backend, int ranks, std::vector<DataFileHash> data) {
  Provenance p;
  p.version = kVersion;
  p.config = result_config(c);
  const std::string s = p.config.dump();
  p.config_hash = fnv1a(s.data(), s.size());
  p.data = std::move(data);
  p.backend = backend;
  p.precision = name_of(c.sampler.precision);
  p.ranks = ranks;
  return p;
}

ojson Provenance::to_json() const {
  ojson files = ojson::array();
  for (const auto& f : data)
    files.push_back({{"key", f.key}, {"path", f.path}, {"bytes", f.bytes}, {"fnv1a64", hex64(f.fnv1a)}});
  return {{"fwmc_version", version}, {"config_fnv1a64", hex64(config_hash)},
          {"config", config},        {"data_files", files},
          {"backend", backend},      {"precision", precision},
          {"ranks", ranks}};
}

Provenance Provenance::from_json(const json& j, const std::string& what) {
  try {
    Provenance p;
    p.version = j.at("fwmc_version").get<std::string>();
    p.config_hash = unhex(j.at("config_fnv1a64"), what);
    p.config = j.at("config");
    for (const auto& f : j.at("data_files"))
      p.data.push_back({f.at("key").get<std::string>(), f.at("path").get<std::string>(),
                        f.at("bytes").get<std::uintmax_t>(), unhex(f.at("fnv1a64"), what)});
    p.backend = j.at("backend").get<std::string>();
    p.precision = j.at("precision").get<std::string>();
    p.ranks = j.at("ranks").get<int>();
    return p;
  } catch (const json::exception&) {
    throw InputError(what + ": has no complete provenance record (written by an older fwmc, or damaged)");
  }
}

std::string config_difference(const json& was, const json& now, int max) {
  std::vector<std::string> d;
  differences(was, now, "", d);
  std::string s;
  for (std::size_t i = 0; i < d.size() && i < static_cast<std::size_t>(max); ++i) s += (s.empty() ? "" : "; ") + d[i];
  if (d.size() > static_cast<std::size_t>(max)) s += "; and " + std::to_string(d.size() - max) + " more";
  return s;
}

std::string provenance_difference(const Provenance& was, const Provenance& now) {
  if (was.version != now.version) return "fwmc version: " + was.version + " -> " + now.version;
  if (was.config_hash != now.config_hash) {
    const std::string d = config_difference(was.config, now.config);
    return d.empty() ? "the config" : d;
  }
  for (const auto& f : was.data) {
    const DataFileHash* g = nullptr;
    for (const auto& h : now.data)
      if (h.key == f.key) g = &h;
    if (!g) return f.key + ": no longer given";
    if (g->bytes != f.bytes || g->fnv1a != f.fnv1a)
      return f.key + " (" + g->path + "): its content changed (" + std::to_string(f.bytes) + " bytes, fnv1a " +
             hex64(f.fnv1a) + " -> " + std::to_string(g->bytes) + " bytes, fnv1a " + hex64(g->fnv1a) + ")";
  }
  if (now.data.size() != was.data.size()) return "the data files: another set of files is given";
  if (was.backend != now.backend) return "backend: " + was.backend + " -> " + now.backend;
  if (was.precision != now.precision) return "precision: " + was.precision + " -> " + now.precision;
  if (was.ranks != now.ranks) return "process count: " + std::to_string(was.ranks) + " -> " + std::to_string(now.ranks);
  return "";
}

}  // namespace fwmc
