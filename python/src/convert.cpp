#include "convert.hpp"

#include <pybind11/numpy.h>

#include "fwmc/errors.hpp"
#include "fwmc/interrupt.hpp"

namespace fwmc::python {

namespace {

NpyArray to_npy(const py::handle& obj) {
  // Any numeric array: integers stay marked as such (1-D integer y are class labels, as in a .npy file).
  const auto original = py::array::ensure(obj);
  if (!original) throw InputError("data: expected a numeric array");
  const char kind = original.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
    throw InputError(std::string("data: expected a numeric array, got dtype kind '") + kind + "'");
  const auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(original);
  NpyArray out;
  for (py::ssize_t i = 0; i < a.ndim(); ++i) out.shape.push_back(static_cast<std::size_t>(a.shape(i)));
  out.data.assign(a.data(), a.data() + a.size());
  out.integer = kind != 'f';
  return out;
}

py::array numpy_of(const NamedArray& a) {
  std::vector<py::ssize_t> shape(a.shape.begin(), a.shape.end());
  py::array_t<double> out(shape);
  std::copy(a.values.begin(), a.values.end(), out.mutable_data());
  return std::move(out);
}

py::dict arrays_of(const std::vector<NamedArray>& arrays) {
  py::dict d;
  for (const auto& a : arrays) d[py::str(a.name)] = numpy_of(a);
  return d;
}

py::dict common(const std::vector<NamedArray>& arrays, const nlohmann::ordered_json& summary, const std::string& report,
                const std::string& out) {
  py::dict d;
  d["arrays"] = arrays_of(arrays);
  d["summary"] = summary.dump();
  d["report"] = report;
  d["out"] = out.empty() ? py::object(py::none()) : py::object(py::str(out));
  return d;
}

}  // namespace

std::optional<InputArrays> input_arrays(const py::object& data) {
  if (data.is_none()) return std::nullopt;
  InputArrays arrays;
  for (const auto& [key, value] : data.cast<py::dict>()) {
    const std::string k = py::str(key);
    NpyArray* target = k == "x" ? &arrays.x : k == "y" ? &arrays.y : k == "x_test" ? &arrays.x_test : nullptr;
    if (!target) throw InputError("data: unknown key '" + k + "' (expected x, y, x_test)");
    try {
      *target = to_npy(value);
    } catch (const InputError& e) {
      throw InputError("data['" + k + "']: " + std::string(e.what()).substr(6));
    }
  }
  if (arrays.x.shape.empty() || arrays.y.shape.empty()) throw InputError("data: x and y are both needed");
  return arrays;
}

PythonHooks python_hooks(const py::object& progress) {
  PythonHooks h;
  if (progress.is_none()) return h;
  // Called with the GIL released: take it, call, and turn an exception into a stop request (re-raised later).
  auto fn = std::make_shared<py::object>(progress);
  auto err = h.error;
  const StopToken stop = h.hooks.stop;
  h.hooks.progress = [fn, err, stop](const Progress& p) {
    py::gil_scoped_acquire gil;
    if (*err) return;
    try {
      py::dict d;
      d["phase"] = p.phase;
      d["iteration"] = p.iteration;
      d["total"] = p.total;
      d["batch"] = p.batch;
      d["batches"] = p.batches;
      d["chain_steps_per_s"] = p.chain_steps_per_s;
      d["accept_rate"] = p.accept_rate;
      d["eta_s"] = p.eta_s;
      (*fn)(d);
    } catch (py::error_already_set& e) {
      *err = e.value();
      stop.request();
    }
  };
  return h;
}

py::dict to_python(const jobs::RunOutcome& o) {
  py::dict d = common(o.arrays, o.summary, o.report, o.out_dir);
  d["theory"] = o.theory.dump();
  d["finished_earlier"] = o.finished_earlier;
  return d;
}

py::dict to_python(const jobs::TheoryOutcome& o) { return common(o.arrays, o.summary, o.report, o.out_dir); }

py::dict to_python(const jobs::OracleOutcome& o) { return common(o.arrays, o.summary, o.report, o.out_dir); }

py::dict to_python(const jobs::SweepOutcome& o) {
  py::dict d = common({}, o.summary, o.report, o.out_dir);
  py::list rows, runs;
  for (const auto& r : o.rows) {
    py::dict row;
    for (const auto& [name, value] : sweep_row_fields(r))  // width, repeat and layer are whole numbers
      row[py::str(name)] = name == "width" || name == "repeat" || name == "layer"
                               ? py::object(py::int_(static_cast<long>(value)))
                               : py::object(py::float_(value));
    rows.append(row);
  }
  for (const auto& r : o.runs) runs.append(py::make_tuple(r.width, r.repeat, to_python(r.run)));
  d["rows"] = rows;
  d["runs"] = runs;
  return d;
}

}  // namespace fwmc::python
