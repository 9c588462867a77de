// TOML -> Config: overrides, per-key validation and cross-field rules.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fwmc/config.hpp"
#include "fwmc/default_config.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/sampler_names.hpp"
#include "host/config/toml_reader.hpp"

namespace fwmc {

namespace {

void apply_override(toml::table& root, const std::string& item) {
  auto eq = item.find('=');
  auto dot = item.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot > eq)
    throw InputError("--set " + item + ": expected section.key=value");
  // Spaces around the names and the value are the user's layout, not part of them: 'sampler.method = mala'.
  auto trim = [](const std::string& s) {
    const auto a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
  };
  std::string section = trim(item.substr(0, dot)), key = trim(item.substr(dot + 1, eq - dot - 1));
  std::string value = trim(item.substr(eq + 1));
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value);
  } catch (const toml::parse_error&) {
    parsed = toml::table{{"v", value}};  // bare words are strings: --set sampler.method=mala
  }
  if (!root.contains(section)) root.insert(section, toml::table{});
  auto* t = root[section].as_table();
  if (!t) throw InputError("--set " + item + ": [" + section + "] is not a table");
  t->insert_or_assign(key, *parsed.get("v"));
}

// csv_header: true, false or "auto".
CsvHeader read_csv_header(const SectionReader& r, const toml::table& root) {
  const auto* sec = root["data"].as_table();
  const toml::node* n = sec ? sec->get("csv_header") : nullptr;
  if (!n) return CsvHeader::detect;
  if (const auto* b = n->as_boolean()) return b->get() ? CsvHeader::present : CsvHeader::absent;
  if (const auto* t = n->as_string(); t && t->get() == "auto") return CsvHeader::detect;
  r.fail("csv_header", "expected true, false or \"auto\"");
}

void read_data(const toml::table& root, const std::string& src, Config& c) {
  SectionReader r(root, "data", src);
  auto& d = c.data;
  r.get_setting("kind", d.kind);
  r.get("x", d.x);
  r.get("y", d.y);
  r.get("x_test", d.x_test);
  r.get("n_train", d.n_train, 0, 1000000);
  r.get("n_test", d.n_test, 0, 1000000);
  r.get("input_dim", d.input_dim, 1, 10000000);
  r.get("input_shape", d.input_shape, 1, 100000);
  r.get("output_dim", d.output_dim, 1, 100000);
  r.get("seed", d.seed);
  r.get_setting("targets", d.targets);
  r.get("noise", d.noise, 0.0, 1e6);
  r.get_setting("normalize", d.normalize);
  r.get("resize", d.resize, 1, 100000);
  if (!d.resize.empty() && d.resize.size() != 2) r.fail("resize", "expected [h, w]");
  if (!d.resize.empty() && d.kind == DataKind::synthetic)
    r.fail("resize", "synthetic data has no images to resize; give input_shape its size instead");
  r.get_setting("resize_method", d.resize_method);
  if (d.resize.empty() && d.resize_method != ResizeMethod::area)
    r.fail("resize_method", "applies only with resize = [h, w]");
  d.csv_header = read_csv_header(r, root);
  if (d.kind != DataKind::csv && d.csv_header != CsvHeader::detect)
    r.fail("csv_header", "applies to kind = \"csv\" only");
  const bool files =
      d.kind != DataKind::synthetic && d.kind != DataKind::arrays;  // arrays: given in memory (Python's data=)
  if (files && d.x.empty()) r.fail("x", std::string("kind = \"") + name_of(d.kind) + "\" needs x = <path>");
  if (files && d.y.empty()) r.fail("y", std::string("kind = \"") + name_of(d.kind) + "\" needs y = <path>");
  for (const auto& [key, path] :
       {std::pair<const char*, const std::string&>{"x", d.x}, {"y", d.y}, {"x_test", d.x_test}})
    if (d.kind == DataKind::arrays && !path.empty())
      r.fail(key, "kind = \"arrays\" takes the arrays in memory, not a path");
}

void read_model(const toml::table& root, const std::string& src, Config& c) {
  SectionReader r(root, "model", src);
  auto& m = c.model;
  r.get_setting("arch", m.arch);
  r.get("widths", m.widths, 1, kMaxWidth);
  if (m.widths.empty()) r.fail("widths", "at least one hidden layer is needed");
  r.get_setting("activation", m.activation);
  r.get("window", m.window, 1, 100001);
  if (m.window % 2 == 0) r.fail("window", "must be odd");
  const std::size_t L = m.widths.size();
  std::vector<double> sigma = {1.0};
  r.get("sigma", sigma, 0.0, 1e6, true);
  const toml::node* sn = root["model"]["sigma"].node();
  if (sn && sn->is_array() && sigma.size() != L + 1)
    r.fail("sigma", "needs L+1 = " + std::to_string(L + 1) + " entries (one per hidden layer, readout last)");
  m.sigma = sigma.size() == 1 ? std::vector<double>(L + 1, sigma[0]) : sigma;
  r.get_setting("evaluation", m.evaluation);
  if (m.evaluation == Evaluation::product && (m.arch != Arch::fcn || m.activation != Activation::linear))
    r.fail("evaluation",
           "\"product\" needs arch = \"fcn\" and activation = \"linear\" (the network must be a "
           "product of its weight matrices)");
}

void read_posterior(const toml::table& root, const std::string& src, Config& c) {
  SectionReader r(root, "posterior", src);
  r.get("beta", c.posterior.beta, 0.0, 1e12);
}

void read_sampler(const toml::table& root, const std::string& src, Config& c) {
  SectionReader r(root, "sampler", src);
  auto& s = c.sampler;
  r.get("method", s.method, sampler_method_names());
  r.get("chains", s.chains, 1, 10000000);
  r.get("warmup", s.warmup, 0, 1000000000);
  r.get("samples", s.samples, 1, 1000000000);
  r.get("thin", s.thin, 1, 1000000);
  r.get("step_size", s.step_size, 0.0, 1e3, true);
  r.get("leapfrog_steps", s.leapfrog_steps, 1, 100000);
  r.get("trajectory_length", s.trajectory_length, 0.0, 1e6);
  if (s.trajectory_length > 0 && s.method != "hmc")
    r.fail("trajectory_length",
           "is an HMC setting; method = \"" + s.method + "\" takes one gradient step per iteration");
  r.get("jitter", s.jitter, 0.0, 0.95);
  r.get("target_accept", s.target_accept, 0.0, 0.99);
  r.get("adapt", s.adapt);
  r.get("groups", s.groups, 2, 1000000);
  r.get("seed", s.seed);
  r.get_setting("device", s.device);
  r.get_setting("precision", s.precision);
  if (s.groups > s.chains) r.fail("groups", "cannot exceed chains = " + std::to_string(s.chains));
  if (s.chains % s.groups != 0)
    r.fail("groups", "must divide chains = " + std::to_string(s.chains) + " (equal-sized chain groups)");
  r.get("chain_batch", s.chain_batch, 0, 10000000);
  r.get("divergence_budget", s.divergence_budget, -1, 1000000000000L);
  if (s.chain_batch > 0 && (s.chains % s.chain_batch != 0 || s.chain_batch % (s.chains / s.groups) != 0))
    r.fail("chain_batch", "must divide chains and be a multiple of the group size chains/groups = " +
                              std::to_string(s.chains / s.groups));
  std::vector<double> mass;
  r.get("mass", mass, 0.0, 1e12, true);
  const std::size_t nb = c.model.widths.size() + 1;
  if (mass.size() > 1 && mass.size() != nb)
    r.fail("mass", "needs L+1 = " + std::to_string(nb) + " entries (one per layer, readout last)");
  s.mass = mass.size() == 1 ? std::vector<double>(nb, mass[0]) : mass;
}

void read_theory(const toml::table& root, const std::string& src, Config& c) {
  SectionReader r(root, "theory", src);
  r.get_setting("method", c.theory.method);
  r.get("draws", c.theory.draws, 100, 1000000000000L);
  r.get("seed", c.theory.seed);
  r.get_setting("cnn_form", c.theory.cnn_form);
  r.get("compare_cnn_forms", c.theory.compare_cnn_forms);
}

void read_output(const toml::table& root, const std::string& src, Config& c) {
  SectionReader r(root, "output", src);
  r.get("dir", c.output.dir);
  if (c.output.dir.empty()) r.fail("dir", "must not be empty");
  r.get("checkpoint_every", c.output.checkpoint_every, 0.0, 1e9, true);
  r.get("kernel_inputs", c.output.kernel_inputs, 0, 100000000);
  std::vector<int> sorted = c.output.kernel_inputs;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) r.fail("kernel_inputs", "lists an input twice");
  r.get_setting("kernel_positions", c.output.kernel_positions);
  r.get_setting("estimator", c.output.estimator);
}

void read_sweep(const toml::table& root, const std::string& src, Config& c) {
  SectionReader r(root, "sweep", src);
  r.get("widths", c.sweep.widths, 1, kMaxWidth);
  r.get("pattern", c.sweep.pattern);
  r.get("repeats", c.sweep.repeats, 1, 100000);
  r.get("title", c.sweep.title);
}

// Cross-section rules that need both data and model.
void check_cross_rules(const toml::table& root, const std::string& src, const Config& c) {
  const auto& d = c.data;
  const auto& m = c.model;
  if (d.kind == DataKind::synthetic && m.arch != Arch::fcn) {
    std::size_t want = m.arch == Arch::cnn1d ? 2 : 3;
    SectionReader r(root, "data", src);
    if (d.input_shape.size() != want)
      r.fail("input_shape", std::string("arch = \"") + name_of(m.arch) +
                                "\" needs input_shape = " + (want == 2 ? "[D, c0]" : "[H, W, c0]"));
    for (std::size_t i = 0; i + 1 < want; ++i)
      if (m.window > d.input_shape[i]) {
        SectionReader rm(root, "model", src);
        rm.fail("window", "larger than the input's spatial size " + std::to_string(d.input_shape[i]));
      }
  }
}

void read_sections(const toml::table& root, const std::string& src, Config& c) {
  read_data(root, src, c);
  read_model(root, src, c);
  read_posterior(root, src, c);
  read_sampler(root, src, c);  // after the model: mass needs its depth
  read_theory(root, src, c);
  read_output(root, src, c);
  read_sweep(root, src, c);
  check_cross_rules(root, src, c);
}

}  // namespace

Config parse_config(const std::string& text, const std::string& source, const std::vector<std::string>& overrides) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw InputError(source + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                     ": TOML syntax error: " + std::string(e.description()));
  }
  check_known_keys(root, source);
  for (const auto& o : overrides) {
    apply_override(root, o);
    check_known_keys(root, "--set " + o);
  }
  Config c;
  c.source = source;
  read_sections(root, source, c);
  return c;
}

Config load_config_file(const std::string& path, const std::vector<std::string>& overrides) {
  // A folder, FIFO or device is not a config (and a FIFO would block); a config is text of a few KiB.
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) throw InputError(path + ": cannot open config file (no such file)");
  if (!std::filesystem::is_regular_file(st))
    throw InputError(path + ": not a config file (a directory, FIFO or device)");
  if (std::filesystem::file_size(path, ec) > (1u << 20))
    throw InputError(path + ": more than 1 MiB; not a config file");
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open config file");
  std::stringstream ss;
  ss << in.rdbuf();
  return load_config_text(ss.str(), path, overrides);
}

Config load_config_text(const std::string& text, const std::string& path, const std::vector<std::string>& overrides) {
  Config c = parse_config(text, path, overrides);
  // Relative data paths are relative to the config file, so configs/ can name files beside it; made absolute so
  // that a resumed run (from any directory) resolves them the same way.
  const std::filesystem::path base = std::filesystem::absolute(path).parent_path();
  for (std::string* p : {&c.data.x, &c.data.y, &c.data.x_test})
    if (!p->empty() && std::filesystem::path(*p).is_relative()) *p = (base / *p).lexically_normal().string();
  return c;
}

Config load_default_config(const std::vector<std::string>& overrides) {
  return parse_config(kDefaultConfigToml, "<embedded default>", overrides);
}

std::string config_to_json(const Config& c) {
  nlohmann::ordered_json j;
  const auto& d = c.data;
  j["data"] = {{"kind", name_of(d.kind)},
               {"x", d.x},
               {"y", d.y},
               {"x_test", d.x_test},
               {"n_train", d.n_train},
               {"n_test", d.n_test},
               {"input_dim", d.input_dim},
               {"input_shape", d.input_shape},
               {"output_dim", d.output_dim},
               {"seed", d.seed},
               {"targets", name_of(d.targets)},
               {"noise", d.noise},
               {"normalize", name_of(d.normalize)},
               {"resize", d.resize},
               {"resize_method", name_of(d.resize_method)},
               {"csv_header", d.csv_header == CsvHeader::detect    ? nlohmann::ordered_json("auto")
                              : d.csv_header == CsvHeader::present ? nlohmann::ordered_json(true)
                                                                   : nlohmann::ordered_json(false)}};
  const auto& m = c.model;
  j["model"] = {{"arch", name_of(m.arch)}, {"widths", m.widths}, {"activation", name_of(m.activation)},
                {"sigma", m.sigma},        {"window", m.window}, {"evaluation", name_of(m.evaluation)}};
  j["posterior"] = {{"beta", c.posterior.beta}};
  const auto& s = c.sampler;
  j["sampler"] = {{"method", s.method},
                  {"chains", s.chains},
                  {"warmup", s.warmup},
                  {"samples", s.samples},
                  {"thin", s.thin},
                  {"step_size", s.step_size},
                  {"leapfrog_steps", s.leapfrog_steps},
                  {"trajectory_length", s.trajectory_length},
                  {"jitter", s.jitter},
                  {"target_accept", s.target_accept},
                  {"adapt", s.adapt},
                  {"groups", s.groups},
                  {"chain_batch", s.chain_batch},
                  {"mass", s.mass},
                  {"divergence_budget", s.divergence_budget},
                  {"seed", s.seed},
                  {"device", name_of(s.device)},
                  {"precision", name_of(s.precision)}};
  j["theory"] = {{"method", name_of(c.theory.method)},
                 {"draws", c.theory.draws},
                 {"seed", c.theory.seed},
                 {"cnn_form", name_of(c.theory.cnn_form)},
                 {"compare_cnn_forms", c.theory.compare_cnn_forms}};
  j["output"] = {{"dir", c.output.dir},
                 {"checkpoint_every", c.output.checkpoint_every},
                 {"kernel_inputs", c.output.kernel_inputs},
                 {"kernel_positions", name_of(c.output.kernel_positions)},
                 {"estimator", name_of(c.output.estimator)}};
  return j.dump(2);
}

}  // namespace fwmc
