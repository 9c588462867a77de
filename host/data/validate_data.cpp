#include "host/data/validate_data.hpp"

#include <cmath>
#include <cstdio>

#include "fwmc/errors.hpp"

namespace fwmc {

namespace {

std::size_t features_of(const NpyArray& a) {
  std::size_t f = 1;
  for (std::size_t k = 1; k < a.shape.size(); ++k) f *= a.shape[k];
  return a.shape.size() < 2 ? 0 : f;
}

std::string shape_text(const std::vector<std::size_t>& s) {
  std::string t = "(";
  for (std::size_t k = 0; k < s.size(); ++k) t += (k ? ", " : "") + std::to_string(s[k]);
  return t + (s.size() == 1 ? ",)" : ")");
}

void check_finite(const NpyArray& a, const std::string& name) {
  for (std::size_t i = 0; i < a.data.size(); ++i)
    if (!std::isfinite(a.data[i])) {
      std::string idx;
      std::size_t r = i;
      std::vector<std::size_t> ix(a.shape.size());
      for (std::size_t k = a.shape.size(); k-- > 0;) {
        ix[k] = a.shape[k] ? r % a.shape[k] : 0;
        r = a.shape[k] ? r / a.shape[k] : 0;
      }
      for (auto v : ix) idx += (idx.empty() ? "" : ", ") + std::to_string(v);
      throw InputError(name + ": non-finite value (" + std::to_string(a.data[i]) + ") at index (" + idx + ")");
    }
}

// Rows of `a` read as [data] input_shape (a csv row is flat).
void reshape_rows(NpyArray& a, const std::vector<int>& shape, const std::string& name) {
  std::size_t prod = 1;
  for (int v : shape) prod *= static_cast<std::size_t>(v);
  if (prod != features_of(a))
    throw InputError(name + ": rows have " + std::to_string(features_of(a)) + " values, [data] input_shape needs " +
                     std::to_string(prod));
  a.shape.resize(1);
  for (int v : shape) a.shape.push_back(static_cast<std::size_t>(v));
}

void check_input_rank(const NpyArray& a, Arch arch, const std::string& name) {
  if (arch == Arch::fcn) return;
  const std::size_t want = arch == Arch::cnn1d ? 3 : 4;
  if (a.shape.size() != want && !(arch == Arch::cnn2d && a.shape.size() == 3))
    throw InputError(name + ": arch = \"" + name_of(arch) + "\" needs inputs of shape " +
                     (arch == Arch::cnn1d ? "(P, D, c0)" : "(P, H, W, c0)") + ", got " + shape_text(a.shape) +
                     " (a csv file's rows are reshaped by [data] input_shape)");
}

void check_has_rows_and_features(const NpyArray& a, const std::string& name, const char* what) {
  if (a.shape.size() < 2)
    throw InputError(name + ": " + what + " need shape (P, ...), got rank " + std::to_string(a.shape.size()) + ": " +
                     shape_text(a.shape));
  if (a.shape[0] == 0) throw InputError(name + ": has no rows (shape " + shape_text(a.shape) + "): no " + what);
  if (features_of(a) == 0)
    throw InputError(name + ": has no features (shape " + shape_text(a.shape) + "): each row needs at least one");
}

}  // namespace

KernelRange representable_kernels(Precision precision) {
  // The estimators multiply kernel values by error signals and sum P n_d of them: in float (3.4e38 at most, 1e-38
  // at least) that leaves about 1e20 of headroom each way (a 5-layer sigma = 100 net, readout variance 1e24,
  // gave NaN kernel means).
  return precision == Precision::f64 ? KernelRange{1e-100, 1e100} : KernelRange{1e-20, 1e20};
}

void check_sources(const Config& c, DataSources& s) {
  const auto& d = c.data;
  check_has_rows_and_features(s.x, s.x_name, "inputs");
  if (s.has_test) check_has_rows_and_features(s.x_test, s.x_test_name, "test inputs");
  if (d.kind == DataKind::csv && !d.input_shape.empty()) {
    reshape_rows(s.x, d.input_shape, s.x_name);
    if (s.has_test) reshape_rows(s.x_test, d.input_shape, s.x_test_name);
  }
  if (!d.resize.empty()) {
    s.x = resize_images(s.x, d.resize[0], d.resize[1], d.resize_method);
    if (s.has_test) s.x_test = resize_images(s.x_test, d.resize[0], d.resize[1], d.resize_method);
  }
  // npy and idx examples keep their file's shape (resized), or take input_shape's, e.g. 5x5 images read as a
  // sequence of 25 by a cnn1d (the original code's Fig 2).
  if (d.kind != DataKind::csv && !d.input_shape.empty()) {
    reshape_rows(s.x, d.input_shape, s.x_name);
    if (s.has_test) reshape_rows(s.x_test, d.input_shape, s.x_test_name);
  }
  check_input_rank(s.x, c.model.arch, s.x_name);
  if (s.has_test && std::vector<std::size_t>(s.x_test.shape.begin() + 1, s.x_test.shape.end()) !=
                        std::vector<std::size_t>(s.x.shape.begin() + 1, s.x.shape.end()))
    throw InputError(s.x_test_name + ": test inputs of shape " + shape_text(s.x_test.shape) +
                     " do not have the per-example shape of " + s.x_name + " " + shape_text(s.x.shape));
  // Targets: one row per input row, exactly: any other count pairs inputs with the wrong targets.
  const std::size_t rows = s.x.shape[0];
  if (s.y.shape.empty() || s.y.shape.size() > 2)
    throw InputError(s.y_name + ": targets need shape (P,) or (P, n_d), got " + shape_text(s.y.shape));
  if (s.y.shape[0] != rows)
    throw InputError(s.y_name + ": has " + std::to_string(s.y.shape[0]) + " rows but " + s.x_name + " has " +
                     std::to_string(rows) + ": each target row goes with the input row of the same index");
  if (s.y.shape.size() == 2 && s.y.shape[1] == 0)
    throw InputError(s.y_name + ": has no output columns (shape " + shape_text(s.y.shape) + ")");
  if (d.n_train > 0 && static_cast<std::size_t>(d.n_train) > rows)
    throw InputError(s.x_name + ": [data] n_train = " + std::to_string(d.n_train) + " but the file has " +
                     std::to_string(rows) + " rows");
  if (s.has_test && d.n_test > 0 && static_cast<std::size_t>(d.n_test) > s.x_test.shape[0])
    throw InputError(s.x_test_name + ": [data] n_test = " + std::to_string(d.n_test) + " but the file has " +
                     std::to_string(s.x_test.shape[0]) + " rows");
  check_finite(s.x, s.x_name);
  check_finite(s.y, s.y_name);
  if (s.has_test) check_finite(s.x_test, s.x_test_name);
}

void check_dataset(const Config& c, const Dataset& ds, const std::string& x_name, const std::string& x_test_name) {
  if (ds.P < 1) throw InputError(x_name + ": no training examples");
  if (ds.dim() < 1) throw InputError(x_name + ": examples have no features");
  if (ds.n_out() < 1) throw InputError(c.source + ": the targets have no output columns");
  if (!ds.Y.allFinite()) throw InputError(c.source + ": the targets are not finite");
  const KernelRange r = representable_kernels(c.sampler.precision);
  for (long i = 0; i < ds.X.rows(); ++i) {
    const double g = ds.X.row(i).squaredNorm() / ds.dim();
    if (std::isfinite(g) && g >= r.lo && g <= r.hi) continue;
    const bool test = i >= ds.P;
    char v[96];
    std::snprintf(v, sizeof v, "%.3g, outside [%g, %g]", g, r.lo, r.hi);
    throw InputError((test ? x_test_name : x_name) + ": example " + std::to_string(test ? i - ds.P : i) +
                     " has x.x / n0 = " + v + " where its kernels are representable in " +
                     name_of(c.sampler.precision) + " (normalize = \"" + name_of(c.data.normalize) +
                     "\"); rescale the inputs, or use normalize = \"center_unit\"");
  }
}

}  // namespace fwmc
