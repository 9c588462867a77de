#include "host/report/output_guard.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "fwmc/dataset.hpp"
#include "fwmc/errors.hpp"

namespace fwmc {

namespace {

long count_nonfinite(const std::vector<double>& v) {
  long n = 0;
  for (double x : v) n += !std::isfinite(x);
  return n;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v)
    if (std::isfinite(x)) m = std::max(m, std::abs(x));
  return m;
}

// What most likely made the numbers non-finite, for the message.
std::string likely_cause(Precision precision, const JobResult& job) {
  const KernelRange ok = representable_kernels(precision);
  for (const auto& lt : job.theory.layers)
    if (max_abs(lt.nngp.v) > ok.hi || count_nonfinite(lt.nngp.v) > 0)
      return "model.sigma (the NNGP kernel of layer " + std::to_string(lt.layer) + " is not representable)";
  if (job.run.diag.divergences > 0 || job.run.diag.dropped_nonfinite > 0)
    return "sampler.step_size, posterior.beta or model.sigma (the chains diverged)";
  return "model.sigma or posterior.beta";
}

}  // namespace

void check_outputs_finite(Precision precision, const std::string& where, const JobResult& job) {
  const RunResult& r = job.run;
  const auto fail = [&](const std::string& array, long bad, std::size_t of) {
    throw RuntimeError(where + array + ": " + std::to_string(bad) + " of " + std::to_string(of) +
                       " entries are not finite; nothing was written (likely cause: " + likely_cause(precision, job) +
                       ")");
  };
  const auto check = [&](const std::string& array, const std::vector<double>& v) {
    if (const long bad = count_nonfinite(v)) fail(array, bad, v.size());
  };
  for (std::size_t l = 0; l < r.kernels.size(); ++l) {
    const std::string k = "K" + std::to_string(l + 1);
    check(k + "_mean.npy", r.kernels[l].mean.v);
    check(k + "_mcse.npy", r.kernels[l].mcse.v);
    if (l < r.plain_kernels.size()) {
      check(k + "_plain_mean.npy", r.plain_kernels[l].mean.v);
      check(k + "_plain_mcse.npy", r.plain_kernels[l].mcse.v);
    }
  }
  if (r.has_preact) {
    check("Q1_mean.npy", r.preact.mean.v);
    check("Q1_mcse.npy", r.preact.mcse.v);
  }
  for (const auto& lt : job.theory.layers) {
    const std::string k = "K" + std::to_string(lt.layer);
    check(k + "_nngp.npy", lt.nngp.v);
    if (lt.has_theory) check(k + "_theory.npy", lt.theory.v);
    check(k + "_theory_se.npy", lt.theory_se.v);
  }
  // Traces: a dropped chain reads NaN from the step it was dropped on, by design; anything else is a failure.
  const Traces& t = r.traces;
  for (std::size_t k = 0; k < t.values.size(); ++k) {
    long bad = 0;
    for (const auto& chain : t.per_chain(k)) {
      bool dropped = false;
      for (double x : chain) {
        if (!std::isfinite(x) && !std::isnan(x)) ++bad;  // an infinity is never a drop marker
        if (std::isnan(x))
          dropped = true;
        else if (dropped)
          ++bad;  // finite after the drop: the NaN was not a drop
      }
    }
    if (bad) fail("traces.npy", bad, t.values[k].size());
  }
}

}  // namespace fwmc
