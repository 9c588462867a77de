// Between Python and the jobs: numpy arrays in (data), numpy arrays and dicts out (a job's outcome), and the
// hooks through which a Python callable sees progress and stops a job.
#pragma once
#include <pybind11/pybind11.h>

#include <memory>
#include <optional>
#include <string>

#include "fwmc/job.hpp"
#include "fwmc/run_job.hpp"
#include "fwmc/sweep_job.hpp"
#include "fwmc/theory_job.hpp"

namespace fwmc::python {

namespace py = pybind11;

// {"x": X, "y": y[, "x_test": Xt]} as the jobs' in-memory data; InputError naming the key on a bad array.
std::optional<InputArrays> input_arrays(const py::object& data);

// The hooks of a call from Python: progress to `progress` (a callable given a dict, or None), which may stop the
// job by raising; the exception it raised is kept in `error` for the caller to re-raise.
struct PythonHooks {
  jobs::JobHooks hooks;
  std::shared_ptr<py::object> error = std::make_shared<py::object>();
};
PythonHooks python_hooks(const py::object& progress);

// The outcomes as dicts of plain Python values and numpy arrays (JSON records as text, parsed in fwmc/results.py).
py::dict to_python(const jobs::RunOutcome& o);
py::dict to_python(const jobs::TheoryOutcome& o);
py::dict to_python(const jobs::OracleOutcome& o);
py::dict to_python(const jobs::SweepOutcome& o);

}  // namespace fwmc::python
