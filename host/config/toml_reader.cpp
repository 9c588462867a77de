#include "host/config/toml_reader.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "fwmc/config.hpp"
#include "fwmc/errors.hpp"

namespace fwmc {

namespace {

// The schema: every section and key fwmc accepts.
const std::map<std::string, std::vector<std::string>>& schema() {
  static const std::map<std::string, std::vector<std::string>> s = {
      {"data",
       {"kind", "x", "y", "x_test", "n_train", "n_test", "input_dim", "input_shape", "output_dim", "seed", "targets",
        "noise", "normalize", "resize", "resize_method", "csv_header"}},
      {"model", {"arch", "widths", "activation", "sigma", "window", "evaluation"}},
      {"posterior", {"beta"}},
      {"sampler",
       {"method", "chains", "warmup", "samples", "thin", "step_size", "leapfrog_steps", "trajectory_length", "jitter",
        "target_accept", "adapt", "groups", "chain_batch", "mass", "seed", "device", "precision", "divergence_budget"}},
      {"theory", {"method", "draws", "seed", "cnn_form", "compare_cnn_forms"}},
      {"output", {"dir", "checkpoint_every", "kernel_inputs", "kernel_positions", "estimator"}},
      {"sweep", {"widths", "pattern", "repeats", "title"}},
  };
  return s;
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& options) {
  std::string best;
  std::size_t best_d = 3;  // suggest only close matches
  for (const auto& o : options) {
    std::size_t d = edit_distance(word, o);
    if (d < best_d) {
      best_d = d;
      best = o;
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

std::string render(const toml::node& n) {
  std::ostringstream os;
  if (auto s = n.as_string())
    os << '"' << s->get() << '"';
  else if (n.is_table())
    os << "{table}";
  else
    os << toml::toml_formatter(n, toml::format_flags::none);
  std::string r = os.str();
  return r.size() > 60 ? r.substr(0, 57) + "..." : r;
}

}  // namespace

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

void check_known_keys(const toml::table& root, const std::string& source) {
  std::vector<std::string> sections;
  for (const auto& [k, v] : schema()) sections.push_back(k);
  for (const auto& [key, node] : root) {
    std::string name(key.str());
    auto it = schema().find(name);
    if (it == schema().end())
      throw InputError(source + ": unknown section [" + name + "]" + did_you_mean(name, sections));
    const toml::table* t = node.as_table();
    if (!t) throw InputError(source + ": [" + name + "] must be a table, got " + render(node));
    for (const auto& [k2, v2] : *t) {
      std::string kn(k2.str());
      const auto& keys = it->second;
      if (std::find(keys.begin(), keys.end(), kn) == keys.end())
        throw InputError(source + ": unknown key [" + name + "] " + kn + did_you_mean(kn, keys));
    }
  }
}

SectionReader::SectionReader(const toml::table& root, std::string section, std::string source)
    : section_(std::move(section)), source_(std::move(source)) {
  if (auto n = root.get(section_)) table_ = n->as_table();
}

const toml::node* SectionReader::find(const char* key) const { return table_ ? table_->get(key) : nullptr; }

void SectionReader::fail(const char* key, const std::string& problem) const {
  std::string value;
  if (auto n = find(key)) value = " = " + render(*n);
  throw InputError(source_ + ": [" + section_ + "] " + key + value + ": " + problem);
}

void SectionReader::get(const char* key, long& out, long lo, long hi) const {
  auto n = find(key);
  if (!n) return;
  auto v = n->value<int64_t>();
  if (!n->is_integer() || !v) fail(key, "expected an integer");
  if (*v < lo || *v > hi) fail(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  out = static_cast<long>(*v);
}

void SectionReader::get(const char* key, int& out, long lo, long hi) const {
  long v = out;
  get(key, v, lo, hi);
  out = static_cast<int>(v);
}

void SectionReader::get(const char* key, std::uint64_t& out) const {
  long v = static_cast<long>(out);
  get(key, v, 0, std::numeric_limits<long>::max());
  out = static_cast<std::uint64_t>(v);
}

void SectionReader::get(const char* key, double& out, double lo, double hi, bool lo_open) const {
  auto n = find(key);
  if (!n) return;
  if (!n->is_number()) fail(key, "expected a number");
  double v = *n->value<double>();
  if (!std::isfinite(v)) fail(key, "must be finite");
  if (v < lo || (lo_open && v == lo) || v > hi) {
    std::ostringstream os;
    os << "must be in " << (lo_open ? "(" : "[") << lo << ", " << hi << "]";
    fail(key, os.str());
  }
  out = v;
}

void SectionReader::get(const char* key, bool& out) const {
  auto n = find(key);
  if (!n) return;
  if (!n->is_boolean()) fail(key, "expected true or false");
  out = *n->value<bool>();
}

void SectionReader::get(const char* key, std::string& out, const std::vector<std::string>& allowed) const {
  auto n = find(key);
  if (!n) return;
  if (!n->is_string()) fail(key, "expected a string");
  std::string v = *n->value<std::string>();
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : "|") + a;
    fail(key, "must be one of " + list + did_you_mean(v, allowed));
  }
  out = v;
}

void SectionReader::get(const char* key, std::vector<int>& out, long lo, long hi) const {
  auto n = find(key);
  if (!n) return;
  auto arr = n->as_array();
  if (!arr) fail(key, "expected a list of integers");
  std::vector<int> v;
  for (const auto& e : *arr) {
    auto x = e.value<int64_t>();
    if (!e.is_integer() || !x) fail(key, "expected a list of integers");
    if (*x < lo || *x > hi) fail(key, "entries must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    v.push_back(static_cast<int>(*x));
  }
  out = v;
}

void SectionReader::get(const char* key, std::vector<double>& out, double lo, double hi, bool lo_open) const {
  auto n = find(key);
  if (!n) return;
  std::vector<double> v;
  auto check = [&](const toml::node& e) {
    if (!e.is_number()) fail(key, "expected a number or a list of numbers");
    double x = *e.value<double>();
    if (!std::isfinite(x) || x < lo || (lo_open && x == lo) || x > hi) {
      std::ostringstream os;
      os << "entries must be finite and in " << (lo_open ? "(" : "[") << lo << ", " << hi << "]";
      fail(key, os.str());
    }
    v.push_back(x);
  };
  if (auto arr = n->as_array()) {
    if (arr->empty()) fail(key, "empty list");
    for (const auto& e : *arr) check(e);
  } else {
    check(*n);
  }
  out = v;
}

}  // namespace fwmc
