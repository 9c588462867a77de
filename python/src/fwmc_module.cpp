// fwmc._fwmc: the Python module's native part. Each function runs a job (host/jobs), the same the CLI runs, with
// the config given as a path or as TOML text and the data optionally as arrays, and returns the job's outcome as
// a dict of numpy arrays and JSON text (fwmc/results.py makes the result objects). Files are written only when
// `out` is given. The GIL is released while the job works; Ctrl-C stops it as it stops the CLI (a checkpoint
// when one was due, no outputs) and raises KeyboardInterrupt; an exception in the progress callback stops it and
// is re-raised.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <csignal>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "convert.hpp"
#include "fwmc/cpu_info.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/interrupt.hpp"
#include "fwmc/messages.hpp"
#include "fwmc/version.hpp"

namespace py = pybind11;
using namespace fwmc;

namespace {

// fwmc's SIGINT handler in place of Python's while a job runs (Python's would only set a flag that nothing reads
// until the job returns); the caller's handler comes back afterwards.
class SigintScope {
 public:
  explicit SigintScope(bool active) : active_(active) {
    clear_interrupt();
    if (!active_) return;
    struct sigaction sa {};
    sa.sa_handler = [](int) { request_interrupt(); };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_);
  }
  ~SigintScope() {
    if (active_) sigaction(SIGINT, &old_, nullptr);
  }
  SigintScope(const SigintScope&) = delete;
  SigintScope& operator=(const SigintScope&) = delete;

 private:
  bool active_;
  struct sigaction old_ {};
};

// What every call takes: the config (path, or TOML text), the overrides, the output folder ("" for none) and
// the data as arrays.
struct Call {
  jobs::JobInput input;
  std::optional<InputArrays> arrays;
  python::PythonHooks hooks;
  bool write = false;

  Call(const std::string& path, const std::string& text, const std::vector<std::string>& overrides,
       const std::string& out, const py::object& data, const py::object& progress)
      : arrays(python::input_arrays(data)), hooks(python::python_hooks(progress)), write(!out.empty()) {
    input.config_path = path;
    input.config_text = text;
    input.overrides = overrides;
    input.out_dir = out;
    if (arrays) input.arrays = &*arrays;
  }
};

// Runs `job` without the GIL and returns its outcome as a dict; a stop becomes the callback's exception or
// KeyboardInterrupt.
template <class F>
py::dict call(Call& c, bool handle_sigint, F job) {
  std::exception_ptr failure;
  py::dict result;
  {
    py::gil_scoped_release nogil;
    // One job at a time per process (the signal flag, OpenMP's threads and BLAS are process-wide): a call from a
    // second thread waits here, without the GIL.
    static std::mutex one_at_a_time;
    const std::lock_guard<std::mutex> lock(one_at_a_time);
    SigintScope sigint(handle_sigint);
    try {
      auto outcome = job(c);
      py::gil_scoped_acquire gil;
      result = python::to_python(outcome);
    } catch (...) {
      failure = std::current_exception();
    }
  }
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const Interrupted&) {
      const py::object& err = *c.hooks.error;
      if (err) {
        PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(err.ptr())), err.ptr());
        throw py::error_already_set();
      }
      PyErr_SetNone(PyExc_KeyboardInterrupt);
      throw py::error_already_set();
    }
  }
  return result;
}

#define FWMC_CONFIG_ARGS                                                                                       \
  py::arg("config_path") = "", py::arg("config_text") = "", py::arg("overrides") = std::vector<std::string>{}, \
  py::arg("out") = "", py::arg("data") = py::none(), py::arg("handle_sigint") = false

}  // namespace

PYBIND11_MODULE(_fwmc, m) {
  m.doc() = "fwmc's native module; use the fwmc package (fwmc.run, fwmc.theory, fwmc.oracle, fwmc.sweep).";
  m.attr("__version__") = kVersion;
  // Bad input is ValueError with fwmc's one-line message (the file or key and the value); failures RuntimeError.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputError& e) {
      PyErr_SetString(PyExc_ValueError, jobs::printable(e.what()).c_str());
    } catch (const std::bad_alloc&) {
      PyErr_SetString(PyExc_MemoryError,
                      "out of memory: the request exceeds this machine's memory (see fwmc.run(..., dry_run=True))");
    }
  });
  using Strings = std::vector<std::string>;

  m.def(
      "run",
      [](const std::string& path, const std::string& text, const Strings& overrides, const std::string& out,
         const py::object& data, bool sigint, bool force, const py::object& progress) {
        Call c(path, text, overrides, out, data, progress);
        return call(c, sigint, [force](Call& c) {
          jobs::RunRequest req{c.input, c.write, force ? jobs::Start::force : jobs::Start::fresh};
          return jobs::run_job(req, c.hooks.hooks);
        });
      },
      FWMC_CONFIG_ARGS, py::arg("force") = false, py::arg("progress") = py::none(),
      "The sampling job: outputs in memory, and into `out` when given.");
  m.def(
      "resume",
      [](const std::string& dir, const std::string& path, const std::string& text, const Strings& overrides,
         const py::object& data, bool sigint, const py::object& progress) {
        Call c(path, text, overrides, "", data, progress);
        return call(c, sigint, [&dir](Call& c) { return jobs::resume_job(dir, c.input, c.hooks.hooks); });
      },
      py::arg("dir"), py::arg("config_path") = "", py::arg("config_text") = "", py::arg("overrides") = Strings{},
      py::arg("data") = py::none(), py::arg("handle_sigint") = false, py::arg("progress") = py::none(),
      "Continues the interrupted run in `dir`; its outputs go there.");
  m.def(
      "dry_run",
      [](const std::string& path, const std::string& text, const Strings& overrides, const py::object& data) {
        Call c(path, text, overrides, "", data, py::none());
        py::gil_scoped_release nogil;
        return jobs::dry_run_text(c.input);
      },
      py::arg("config_path") = "", py::arg("config_text") = "", py::arg("overrides") = Strings{},
      py::arg("data") = py::none(), "Validates; returns the memory model's text. Samples and writes nothing.");
  m.def(
      "theory",
      [](const std::string& path, const std::string& text, const Strings& overrides, const std::string& out,
         const py::object& data, bool sigint, bool force) {
        Call c(path, text, overrides, out, data, py::none());
        return call(c, sigint, [force](Call& c) {
          return jobs::theory_job(jobs::TheoryRequest{c.input, c.write, force}, c.hooks.hooks);
        });
      },
      FWMC_CONFIG_ARGS, py::arg("force") = false, "The NNGP kernels and the leading-order theory.");
  m.def(
      "oracle",
      [](const std::string& path, const std::string& text, const Strings& overrides, const std::string& out,
         const py::object& data, bool sigint, bool force, long draws) {
        Call c(path, text, overrides, out, data, py::none());
        return call(c, sigint, [force, draws](Call& c) {
          return jobs::oracle_job(jobs::OracleRequest{c.input, draws, c.write, force}, c.hooks.hooks);
        });
      },
      FWMC_CONFIG_ARGS, py::arg("force") = false, py::arg("draws") = 0L,
      "The importance-sampling reference of docs/theory.md 8.");
  m.def(
      "sweep",
      [](const std::string& path, const std::string& text, const Strings& overrides, const std::string& out,
         const py::object& data, bool sigint, bool force, const py::object& progress, const std::vector<int>& widths,
         int repeats, const std::string& pattern) {
        Call c(path, text, overrides, out, data, progress);
        return call(c, sigint, [&](Call& c) {
          return jobs::sweep_job(jobs::SweepRequest{c.input, widths, pattern, repeats, c.write, force}, c.hooks.hooks);
        });
      },
      FWMC_CONFIG_ARGS, py::arg("force") = false, py::arg("progress") = py::none(),
      py::arg("widths") = std::vector<int>{}, py::arg("repeats") = 0, py::arg("pattern") = "",
      "The width sweep: one run per width, the table and the log-log fits.");
  m.def("version_text", &jobs::version_text, "What `fwmc --version` prints.");
  m.def(
      "blas_core_correction",
      [] {
        const std::string chosen = blas_info().kernel;
        const std::string fix = openblas_core_correction(chosen, detect_isa());
        return fix.empty() ? std::vector<std::string>{} : std::vector<std::string>{chosen, fix};
      },
      "[the BLAS's own core type, the one fwmc forces instead], or [] when the BLAS's choice is as good.");
  m.def("blas_kernels_problem", &blas_kernels_problem,
        "'' when the BLAS's kernels run on this CPU, else why not (OPENBLAS_CORETYPE names kernels it cannot run).");
}
