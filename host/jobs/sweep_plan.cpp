#include "host/jobs/sweep_plan.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "fwmc/checkpoint.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/model_spec.hpp"

namespace fwmc::jobs {

namespace {

// Hidden widths for sweep width n: every layer n, or the pattern ("n,50,n").
std::vector<int> widths_for(const Config& c, const std::string& pattern, int n) {
  if (pattern.empty()) return std::vector<int>(c.model.widths.size(), n);
  std::vector<int> w;
  std::stringstream ss(pattern);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    if (tok == "n") {
      w.push_back(n);
      continue;
    }
    char* end = nullptr;
    const long v = std::strtol(tok.c_str(), &end, 10);
    if (tok.empty() || *end || v < 1 || v > kMaxWidth)
      throw InputError("--widths-pattern \"" + pattern + "\": '" + tok + "' is not n or a width from 1 to " +
                       std::to_string(kMaxWidth));
    w.push_back(static_cast<int>(v));
  }
  return w;
}

NpyArray npy_of(const Eigen::MatrixXd& m, std::vector<std::size_t> shape) {
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> r = m;
  return {std::move(shape), std::vector<double>(r.data(), r.data() + r.size()), false};
}

}  // namespace

void check_sweep_shape(const SweepShape& s) {
  if (s.widths.empty())
    throw InputError("--widths: give the widths, e.g. --widths 32,64,128, or [sweep] widths in the config");
  for (int w : s.widths)
    if (w < 1 || w > kMaxWidth)
      throw InputError("--widths: " + std::to_string(w) + " is not a width from 1 to " + std::to_string(kMaxWidth));
  std::vector<int> sorted = s.widths;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    throw InputError("--widths: a width is listed twice; use --repeats for repeated runs at one width");
  if (sorted.size() < 2) throw InputError("--widths: a slope needs at least two widths, e.g. --widths 32,64");
  if (!s.pattern.empty() && s.pattern.find('n') == std::string::npos)
    throw InputError("--widths-pattern \"" + s.pattern + "\": has no n, so every width would run the same network");
  if (s.repeats < 1) throw InputError("--repeats must be >= 1");
  // Every run of the sweep is planned (a config each) before any starts: bound them before allocating.
  constexpr long kMaxRuns = 100000;
  if (static_cast<long>(s.repeats) * static_cast<long>(s.widths.size()) > kMaxRuns)
    throw InputError("--repeats " + std::to_string(s.repeats) + ": " + std::to_string(s.widths.size()) + " widths x " +
                     std::to_string(s.repeats) + " repeats is more than the " + std::to_string(kMaxRuns) +
                     " runs a sweep plans");
}

std::vector<WidthJob> width_jobs(const Config& base, const SweepShape& s) {
  std::vector<WidthJob> jobs;
  const std::string& dir = base.output.dir;
  const bool uniform_sigma = std::equal(base.model.sigma.begin() + 1, base.model.sigma.end(), base.model.sigma.begin());
  for (int n : s.widths)
    for (int r = 0; r < s.repeats; ++r) {
      Config c = base;
      c.model.widths = widths_for(base, s.pattern, n);
      if (c.model.widths.size() != base.model.widths.size()) {
        if (!uniform_sigma)
          throw InputError("--widths-pattern \"" + s.pattern +
                           "\": changes the depth but [model] sigma is a per-layer list");
        c.model.sigma.assign(c.model.widths.size() + 1, base.model.sigma[0]);
      }
      c.sampler.seed = base.sampler.seed + 1000003ULL * r;
      c.output.dir = dir + "/width_" + std::to_string(n) + (s.repeats > 1 ? "_r" + std::to_string(r) : "");
      jobs.push_back({c, n, r});
    }
  return jobs;
}

SweepData materialise_data(const Config& base, const InputArrays* arrays, std::vector<WidthJob>& jobs, bool to_files) {
  SweepData out;
  if (base.data.kind != DataKind::synthetic && base.data.kind != DataKind::arrays) return out;
  const Dataset d = load_dataset(base, arrays);
  std::vector<std::size_t> shape = {static_cast<std::size_t>(d.P)};
  for (int v : d.input_shape) shape.push_back(v);
  std::vector<std::size_t> test_shape = shape;
  test_shape[0] = d.P_test;
  InputArrays a;
  a.x = npy_of(d.X.topRows(d.P), shape);
  a.y = npy_of(d.Y, {static_cast<std::size_t>(d.P), static_cast<std::size_t>(d.n_out())});
  if (d.P_test > 0) a.x_test = npy_of(d.X.bottomRows(d.P_test), test_shape);
  const std::string& dir = base.output.dir;
  if (to_files) {
    auto add = [&](const std::string& key, const std::string& name, const NpyArray& v) {
      const std::string path = dir + "/" + name;
      out.files.emplace_back(path, npy_bytes(v.shape, v.data.data()));
      const std::string& b = out.files.back().second;
      out.hashes.push_back({key, path, b.size(), fnv1a(b.data(), b.size())});
    };
    add("data.x", "data_x.npy", a.x);
    add("data.y", "data_y.npy", a.y);
    if (d.P_test > 0) add("data.x_test", "data_x_test.npy", a.x_test);
  } else {
    out.arrays = std::move(a);
  }
  for (auto& j : jobs) {
    DataConfig& c = j.c.data;
    c.kind = to_files ? DataKind::npy : DataKind::arrays;
    c.x = to_files ? dir + "/data_x.npy" : "";
    c.y = to_files ? dir + "/data_y.npy" : "";
    c.x_test = to_files && d.P_test > 0 ? dir + "/data_x_test.npy" : "";
    c.n_train = c.n_test = 0;
    c.normalize = Normalize::none;  // already applied
  }
  return out;
}

}  // namespace fwmc::jobs
