// load_dataset: files or synthetic data -> validated, normalised Dataset.
#include <cmath>
#include <random>

#include "fwmc/checkpoint.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/model_spec.hpp"
#include "fwmc/reference_net.hpp"
#include "host/data/validate_data.hpp"

namespace fwmc {

namespace {

NpyArray read_any(const DataConfig& d, const std::string& path) {
  if (d.kind == DataKind::npy) return read_npy(path);
  if (d.kind == DataKind::csv) return read_csv(path, d.csv_header);
  return read_idx(path);
}

Eigen::MatrixXd rows_of(const NpyArray& a, std::size_t n) {
  const std::size_t d = a.shape.empty() || a.shape[0] == 0 ? 0 : a.data.size() / a.shape[0];
  Eigen::MatrixXd X(static_cast<long>(n), static_cast<long>(d));
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < d; ++c) X(long(r), long(c)) = a.data[r * d + c];
  return X;
}

// y's first P rows as targets (check_sources has checked its shape): class labels become one-hot columns.
Eigen::MatrixXd targets_of(const NpyArray& y, std::size_t P, const std::string& path) {
  if (y.shape.size() == 1 && y.integer) {  // class labels -> one-hot targets
    long classes = 0;
    for (std::size_t i = 0; i < P; ++i) {
      if (y.data[i] < 0) throw InputError(path + ": negative class label at index " + std::to_string(i));
      // One-hot targets have one column per class: a label far beyond the examples is a wrong file, not a class.
      const double most = std::max<double>(65536, 16.0 * P);
      if (y.data[i] >= most)
        throw InputError(path + ": class label " + std::to_string(static_cast<long long>(y.data[i])) + " at index " +
                         std::to_string(i) + " is not a class of " + std::to_string(P) +
                         " examples (labels are 0..C-1, " + "C < " + std::to_string(static_cast<long>(most)) +
                         "; give float targets of shape (P, n_d) otherwise)");
      classes = std::max(classes, static_cast<long>(y.data[i]) + 1);
    }
    Eigen::MatrixXd Y = Eigen::MatrixXd::Zero(long(P), classes);
    for (std::size_t i = 0; i < P; ++i) Y(long(i), static_cast<long>(y.data[i])) = 1.0;
    return Y;
  }
  return rows_of(y, P);
}

Dataset synthetic(const Config& c) {
  const auto& d = c.data;
  Dataset ds;
  ds.P = d.n_train;
  ds.P_test = d.n_test;
  ds.input_shape = c.model.arch == Arch::fcn ? std::vector<int>{d.input_dim} : d.input_shape;
  long dim = 1;
  for (int v : ds.input_shape) dim *= v;
  std::mt19937_64 rng(d.seed);
  std::normal_distribution<double> nd;
  ds.X.resize(ds.N(), dim);
  for (long j = 0; j < dim; ++j)
    for (long i = 0; i < ds.N(); ++i) ds.X(i, j) = nd(rng);
  ds.description = std::string("synthetic: Gaussian inputs, ") + name_of(d.targets) + " targets";
  return ds;
}

void make_synthetic_targets(const Config& c, Dataset& ds) {
  std::mt19937_64 rng(c.data.seed ^ 0x9e3779b97f4a7c15ULL);
  std::normal_distribution<double> nd;
  const int nd_out = c.data.output_dim;
  ds.Y = Eigen::MatrixXd::Zero(ds.P, nd_out);
  if (c.data.targets == Targets::teacher) {
    ModelSpec m = make_model_spec(c.model, ds.input_shape, nd_out);
    // The teacher is one full network in double on the host: refuse sizes that cannot be that.
    const double gib = m.total_params() * 8.0 / 1073741824.0;
    if (gib > 4.0)
      throw InputError(c.source + ": [data] targets = \"teacher\": a teacher network with these widths needs " +
                       std::to_string(gib).substr(0, 6) +
                       " GiB of weights; use targets = \"noise\", data files, or smaller widths");
    NetWeights w = sample_prior(m, rng);
    Forward fw = reference_forward(m, w, ds.X.topRows(ds.P));
    ds.Y = fw.f;
  }
  for (long j = 0; j < nd_out; ++j)
    for (long i = 0; i < ds.P; ++i) ds.Y(i, j) += c.data.noise * nd(rng);
}

}  // namespace

std::vector<DataFileHash> input_array_hashes(const InputArrays& a) {
  std::vector<DataFileHash> out;
  for (const auto& [key, arr] :
       {std::pair<const char*, const NpyArray*>{"data.x", &a.x}, {"data.y", &a.y}, {"data.x_test", &a.x_test}})
    if (!arr->shape.empty()) {
      const std::string b = npy_bytes(arr->shape, arr->data.data());
      out.push_back({key, "<array>", b.size(), fnv1a(b.data(), b.size())});
    }
  return out;
}

Dataset load_dataset(const Config& c, const InputArrays* arrays) {
  const auto& d = c.data;
  const bool in_memory = d.kind == DataKind::arrays;
  if (in_memory && !arrays)
    throw InputError(c.source +
                     ": [data] kind = \"arrays\": the arrays are passed in memory (Python: "
                     "fwmc.run(config, data={...})); from the command line use kind = \"npy\"");
  // Each input by its config key: a file's path, or "data.x (array)"; messages name it.
  const std::string x_name = in_memory ? "data.x (array)" : d.x, y_name = in_memory ? "data.y (array)" : d.y;
  const std::string xt_name = in_memory ? "data.x_test (array)" : d.x_test;
  const bool has_test = in_memory ? !arrays->x_test.shape.empty() : !d.x_test.empty();
  auto input = [&](const std::string& path, const NpyArray* given) { return given ? *given : read_any(d, path); };
  Dataset ds;
  if (d.kind == DataKind::synthetic) {
    if (d.n_train < 1)
      throw InputError(c.source + ": [data] n_train = " + std::to_string(d.n_train) +
                       ": synthetic data needs n_train >= 1");
    if (c.model.arch == Arch::fcn && d.input_dim < 1) throw InputError(c.source + ": [data] input_dim must be >= 1");
    ds = synthetic(c);
    normalize_inputs(ds, d.normalize, c.source + ": [data] synthetic");
    make_synthetic_targets(c, ds);  // the teacher sees the normalised inputs
  } else {
    DataSources s;
    s.x_name = x_name;
    s.y_name = y_name;
    s.x_test_name = xt_name;
    s.has_test = has_test;
    s.x = input(x_name, in_memory ? &arrays->x : nullptr);
    s.y = input(y_name, in_memory ? &arrays->y : nullptr);
    if (has_test) s.x_test = input(xt_name, in_memory ? &arrays->x_test : nullptr);
    check_sources(c, s);
    const std::size_t P = d.n_train > 0 ? static_cast<std::size_t>(d.n_train) : s.x.shape[0];
    ds.input_shape.assign(s.x.shape.begin() + 1, s.x.shape.end());
    const Eigen::MatrixXd Xtr = rows_of(s.x, P);
    Eigen::MatrixXd Xte(0, Xtr.cols());
    if (has_test) Xte = rows_of(s.x_test, d.n_test > 0 ? static_cast<std::size_t>(d.n_test) : s.x_test.shape[0]);
    ds.P = static_cast<int>(P);
    ds.P_test = static_cast<int>(Xte.rows());
    ds.X.resize(ds.N(), Xtr.cols());
    ds.X << Xtr, Xte;
    ds.Y = targets_of(s.y, P, y_name);
    ds.description = in_memory ? "arrays given in memory" : std::string(name_of(d.kind)) + ": " + d.x;
    normalize_inputs(ds, d.normalize, x_name);
  }
  check_dataset(c, ds, d.kind == DataKind::synthetic ? c.source + ": [data] synthetic" : x_name,
                d.kind == DataKind::synthetic ? c.source + ": [data] synthetic" : xt_name);
  make_model_spec(c.model, ds.input_shape, ds.n_out());  // validates shape against the architecture
  return ds;
}

void normalize_inputs(Dataset& d, Normalize mode, const std::string& source) {
  const std::string where = source.empty() ? std::string("data") : source;
  if (mode == Normalize::center_unit || mode == Normalize::center_l2) {
    // Per example: subtract its mean, then scale so that x.x / dim = 1 (center_unit: unit norm in the kernel's
    // inner product, G_aa = 1) or x.x = 1 (center_l2: unit Euclidean norm, G_aa = 1/dim, the original code's
    // preprocessing). Each row is first divided by its largest |value|, so that huge inputs cannot overflow.
    const double target = mode == Normalize::center_unit ? std::sqrt(double(d.X.cols())) : 1.0;
    for (long i = 0; i < d.X.rows(); ++i) {
      const double s = d.X.row(i).cwiseAbs().maxCoeff();
      if (s > 0) d.X.row(i) /= s;
      d.X.row(i).array() -= d.X.row(i).mean();
      const double n = d.X.row(i).norm();
      if (!(n > 1e-12 * std::sqrt(double(d.X.cols()))))
        throw InputError(where + ": example " + std::to_string(i) + " is constant, so normalize = \"" + name_of(mode) +
                         "\" (which centres each example) makes it zero and its kernel row vanishes; remove it or use "
                         "normalize = \"standardize\" or \"none\"");
      d.X.row(i) *= target / n;
    }
  } else if (mode == Normalize::standardize) {
    // Per feature, with the training rows' mean and std (applied to test rows too). A constant feature carries no
    // information and stays zero; all of them constant is an error.
    long varying = 0;
    for (long j = 0; j < d.X.cols(); ++j) {
      const double s = d.X.col(j).head(d.P).cwiseAbs().maxCoeff();
      if (s > 0) d.X.col(j) /= s;
      auto tr = d.X.col(j).head(d.P);
      const double mu = tr.mean();
      const double sd = std::sqrt((tr.array() - mu).square().mean());
      d.X.col(j).array() -= mu;
      if (sd > 1e-12) {
        d.X.col(j) /= sd;
        ++varying;
      }
    }
    if (varying == 0 && d.X.cols() > 0)
      throw InputError(where +
                       ": every input feature is constant over the training examples, so normalize = "
                       "\"standardize\" makes all inputs zero; the kernels would vanish");
  }
  if (d.X.size() > 0 && d.X.cwiseAbs().maxCoeff() == 0)
    throw InputError(where + ": every input is zero, so every kernel would vanish");
  if (!d.X.allFinite())
    throw InputError(where + ": normalize = \"" + name_of(mode) + "\" overflowed (inputs too large)");
}

}  // namespace fwmc
