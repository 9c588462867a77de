// fwmc._fwmc: the Python module's native part. Each function runs the same command as the CLI (host/cli) with
// the config given as a path or as TOML text, data optionally as arrays, the printed report collected into a
// string, and progress sent to a Python callable. The GIL is released while fwmc works; Ctrl-C stops a run the
// way it stops the CLI (a checkpoint when one was due, no outputs) and raises KeyboardInterrupt.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fwmc/cpu_info.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/interrupt.hpp"
#include "fwmc/version.hpp"
#include "host/cli/commands.hpp"

namespace py = pybind11;
using namespace fwmc;

namespace {

// fwmc's SIGINT handler in place of Python's while a command runs (Python's would only set a flag that nothing
// reads until the command returns); the caller's handler comes back afterwards.
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

// The report a command prints, collected in memory (open_memstream) instead of stdout.
class ReportBuffer {
 public:
  ReportBuffer() : file_(open_memstream(&buf_, &len_)) {
    if (!file_) throw std::runtime_error("fwmc: cannot open a memory stream for the report");
  }
  ~ReportBuffer() {
    if (file_) std::fclose(file_);
    std::free(buf_);
  }
  ReportBuffer(const ReportBuffer&) = delete;
  ReportBuffer& operator=(const ReportBuffer&) = delete;
  std::FILE* file() const { return file_; }
  std::string text() {
    std::fflush(file_);
    return std::string(buf_, len_);
  }

 private:
  char* buf_ = nullptr;
  std::size_t len_ = 0;
  std::FILE* file_;
};

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

struct Call {
  cli::CommonArgs args;
  std::optional<InputArrays> arrays;
  std::shared_ptr<py::object> callback_error = std::make_shared<py::object>();  // what a progress callback raised
};

Call make_call(const std::string& path, const std::string& text, const std::vector<std::string>& overrides,
               const std::string& out, bool force, const py::object& data, const py::object& progress) {
  Call c;
  c.args.config_path = path;
  c.args.config_text = text;
  c.args.overrides = overrides;
  c.args.out_dir = out;
  c.args.force = force;
  if (!data.is_none()) {
    const auto d = data.cast<py::dict>();
    c.arrays.emplace();
    for (const auto& [key, value] : d) {
      const std::string k = py::str(key);
      NpyArray* target = k == "x"        ? &c.arrays->x
                         : k == "y"      ? &c.arrays->y
                         : k == "x_test" ? &c.arrays->x_test
                                         : nullptr;
      if (!target) throw InputError("data: unknown key '" + k + "' (expected x, y, x_test)");
      try {
        *target = to_npy(value);
      } catch (const InputError& e) {
        throw InputError("data['" + k + "']: " + std::string(e.what()).substr(6));
      }
    }
    if (c.arrays->x.shape.empty() || c.arrays->y.shape.empty()) throw InputError("data: x and y are both needed");
  }
  if (progress.is_none()) {
    c.args.progress = [](const Progress&) {};  // quiet (the CLI's progress line is for terminals)
  } else {
    // Called with the GIL released: take it, call, and turn an exception into a stop request (re-raised later).
    auto fn = std::make_shared<py::object>(progress);
    auto err = c.callback_error;
    c.args.progress = [fn, err](const Progress& p) {
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
        request_interrupt();
      }
    };
    // The progress function is destroyed with the GIL held (in ~Call, from Python).
  }
  return c;
}

// Runs `command` without the GIL and returns its report (with the run's header and notes); a stop becomes the
// callback's exception or KeyboardInterrupt.
template <class F>
std::string call(Call& c, bool handle_sigint, F command) {
  if (c.arrays) c.args.arrays = &*c.arrays;
  ReportBuffer report;
  c.args.report = c.args.log = report.file();
  std::exception_ptr failure;
  {
    py::gil_scoped_release nogil;
    // One command at a time per process (the interrupt flag, OpenMP's threads and BLAS are process-wide): a call
    // from a second thread waits here, without the GIL.
    static std::mutex one_at_a_time;
    const std::lock_guard<std::mutex> lock(one_at_a_time);
    SigintScope sigint(handle_sigint);
    try {
      command(c.args);
    } catch (...) {
      failure = std::current_exception();
    }
  }
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const Interrupted&) {
      if (*c.callback_error) {
        PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(c.callback_error->ptr())), c.callback_error->ptr());
        throw py::error_already_set();
      }
      PyErr_SetNone(PyExc_KeyboardInterrupt);
      throw py::error_already_set();
    }
  }
  return report.text();
}

}  // namespace

PYBIND11_MODULE(_fwmc, m) {
  m.doc() = "fwmc's native module; use the fwmc package (fwmc.run, fwmc.theory, fwmc.oracle, fwmc.sweep).";
  m.attr("__version__") = kVersion;
  // Bad input is ValueError with fwmc's one-line message (the file or key and the value); failures RuntimeError.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputError& e) {
      PyErr_SetString(PyExc_ValueError, cli::printable(e.what()).c_str());
    } catch (const std::bad_alloc&) {
      PyErr_SetString(PyExc_MemoryError,
                      "out of memory: the request exceeds this machine's memory (see fwmc.run(..., dry_run=True))");
    }
  });

  m.def(
      "run",
      [](const std::string& path, const std::string& text, const std::vector<std::string>& overrides,
         const std::string& out, bool force, const py::object& data, const py::object& progress, bool sigint,
         const std::string& resume, bool dry_run) {
        Call c = make_call(path, text, overrides, out, force, data, progress);
        c.args.resume_dir = resume;
        c.args.dry_run = dry_run;
        return call(c, sigint, [](const cli::CommonArgs& a) { cli::cmd_run(a); });
      },
      py::arg("config_path") = "", py::arg("config_text") = "", py::arg("overrides") = std::vector<std::string>{},
      py::arg("out") = "", py::arg("force") = false, py::arg("data") = py::none(), py::arg("progress") = py::none(),
      py::arg("handle_sigint") = false, py::arg("resume") = "", py::arg("dry_run") = false,
      "fwmc run: sample, compare with the theory, write the outputs into `out`; returns the printed report.");
  m.def(
      "theory",
      [](const std::string& path, const std::string& text, const std::vector<std::string>& overrides,
         const std::string& out, bool force, const py::object& data, bool sigint) {
        Call c = make_call(path, text, overrides, out, force, data, py::none());
        return call(c, sigint, [](const cli::CommonArgs& a) { cli::cmd_theory(a); });
      },
      py::arg("config_path") = "", py::arg("config_text") = "", py::arg("overrides") = std::vector<std::string>{},
      py::arg("out") = "", py::arg("force") = false, py::arg("data") = py::none(), py::arg("handle_sigint") = false,
      "fwmc theory: NNGP kernels and the leading-order theory into `out`; returns the printed report.");
  m.def(
      "oracle",
      [](const std::string& path, const std::string& text, const std::vector<std::string>& overrides,
         const std::string& out, bool force, const py::object& data, bool sigint, long draws) {
        Call c = make_call(path, text, overrides, out, force, data, py::none());
        return call(c, sigint, [draws](const cli::CommonArgs& a) { cli::cmd_oracle(a, draws); });
      },
      py::arg("config_path") = "", py::arg("config_text") = "", py::arg("overrides") = std::vector<std::string>{},
      py::arg("out") = "", py::arg("force") = false, py::arg("data") = py::none(), py::arg("handle_sigint") = false,
      py::arg("draws") = 0L, "fwmc oracle: the importance-sampling reference into `out`; returns the report.");
  m.def(
      "sweep",
      [](const std::string& path, const std::string& text, const std::vector<std::string>& overrides,
         const std::string& out, bool force, const py::object& data, const py::object& progress, bool sigint,
         const std::vector<int>& widths, int repeats, const std::string& pattern) {
        Call c = make_call(path, text, overrides, out, force, data, progress);
        cli::SweepArgs s;
        s.widths = widths;
        s.repeats = repeats;
        s.pattern = pattern;
        return call(c, sigint, [&s](const cli::CommonArgs& a) { cli::cmd_sweep(a, s); });
      },
      py::arg("config_path") = "", py::arg("config_text") = "", py::arg("overrides") = std::vector<std::string>{},
      py::arg("out") = "", py::arg("force") = false, py::arg("data") = py::none(), py::arg("progress") = py::none(),
      py::arg("handle_sigint") = false, py::arg("widths") = std::vector<int>{}, py::arg("repeats") = 0,
      py::arg("pattern") = "", "fwmc sweep: one run per width, fits and report into `out`; returns the report.");
  m.def("version_text", &cli::version_text, "What `fwmc --version` prints.");
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
