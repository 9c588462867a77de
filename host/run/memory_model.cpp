// Bytes a sampling job allocates, item by item, mirroring the allocations of the models, the sampler and the
// kernel accumulator (t = 4 or 8 bytes per working-precision number).
#include <algorithm>
#include <cstdio>

#include "fwmc/memory_model.hpp"
#include "fwmc/run_plan.hpp"

#include <unistd.h>

#include "fwmc/devices.hpp"
#include "fwmc/errors.hpp"

namespace fwmc {

std::size_t state_vector_bytes(const RunPlan& plan) {
  return (4 + static_cast<std::size_t>(plan.sampler->extra_vectors())) *
         static_cast<std::size_t>(plan.model.total_params()) * precision_bytes(plan.precision);
}

std::size_t activation_bytes(const RunPlan& plan) {
  std::size_t sum_w = 0;
  for (int w : plan.model.widths) sum_w += w;
  return 2 * static_cast<std::size_t>(plan.model.positions()) * plan.N * sum_w * precision_bytes(plan.precision);
}

MemoryEstimate estimate_memory(const RunPlan& plan) {
  const ModelSpec& m = plan.model;
  const RunPlan& s = plan;  // the run's sizes
  const KernelSelection& sel = plan.selection;
  const int N = plan.N, P = plan.P, batch = plan.chain_batch;
  const bool stein = plan.stein();
  const std::size_t t = precision_bytes(plan.precision);
  std::size_t sum_w = 0, wmax = static_cast<std::size_t>(m.in_channels);
  for (int w : m.widths) {
    sum_w += w;
    wmax = std::max<std::size_t>(wmax, w);
  }
  const std::size_t L = m.widths.size(), nd = m.n_out, Dp = m.positions(), S = m.window_size();
  const std::size_t DN = Dp * N, cg = static_cast<std::size_t>(std::max(1, s.chains / s.groups));
  const std::size_t groups = static_cast<std::size_t>(batch) / cg;
  const bool cnn = m.arch != Arch::fcn;
  MemoryEstimate e;
  auto add = [](std::vector<MemoryItem>& v, std::size_t& sum, const char* name, std::size_t bytes) {
    v.push_back({name, bytes});
    sum += bytes;
  };
  // Per chain (sampler, model, accumulator).
  auto& pc = e.per_chain_items;
  const std::size_t state = state_vector_bytes(plan), extra = plan.sampler->extra_vectors();
  add(pc, e.per_chain, "theta, gradient, proposal, proposal gradient", state / (4 + extra) * 4);
  if (extra) add(pc, e.per_chain, "the sampler's own vectors (HMC: momentum)", state / (4 + extra) * extra);
  add(pc, e.per_chain, "activations Z, H of every layer", activation_bytes(plan));
  add(pc, e.per_chain, "outputs and their gradient", 2 * static_cast<std::size_t>(N) * nd * t);
  add(pc, e.per_chain, "backward scratch (2 x widest layer)", 2 * DN * wmax * t);
  if (plan.weight_product) {
    std::size_t fan_in = 0;
    for (std::size_t l = 0; l < L; ++l) fan_in += l == 0 ? m.in_channels : m.widths[l - 1];
    add(pc, e.per_chain, "weight products A_l and E_l (n_{l-1} x n_d)", 2 * fan_in * nd * t);
  }
  if (cnn && L > 1) add(pc, e.per_chain, "cnn im2col patches and their gradient", 2 * DN * S * wmax * t);
  add(pc, e.per_chain, "Phi H for the tr(K Phi) traces", static_cast<std::size_t>(P) * Dp * wmax * t);
  if (!sel.inputs.empty()) add(pc, e.per_chain, "gathered rows of the selected inputs", DN * wmax * t);
  const std::size_t M = static_cast<std::size_t>(sel.count(N));
  // Statistics per layer: the kernel, and with Stein also R and (nonlinear) the pre-activation kernel, and
  // (nonlinear fcn) the conditional field's estimate and the two sums of squares.
  const bool field = stein && !cnn && m.activation != Activation::linear;
  const std::size_t stats = stein ? (m.activation == Activation::linear ? 2 : (field ? 6 : 3)) : 1;
  const std::size_t readout_stats = stein && !cnn ? 2 : 0;  // the readout's R and Q (fcn)
  if (stein) {
    const std::size_t Tc = cnn ? DN : static_cast<std::size_t>(P), in_max = S * wmax;
    add(pc, e.per_chain, "Stein: error signals of every layer", DN * sum_w * t);
    add(pc, e.per_chain, "Stein: input kernel and Z delta^T (selected rows x training side)", 2 * Dp * M * Tc * t);
    if (!sel.inputs.empty()) add(pc, e.per_chain, "Stein: gathered rows of the layer inputs", DN * in_max * t);
  }
  // The conditional field (nonlinear fcn, docs/theory.md 12): Stein inputs, Sigma and the plain kernel of a draw
  // (precision t), and this and the last layer's estimates with the plain kernel's copy (double).
  if (field)
    add(pc, e.per_chain, "conditional field: Stein inputs, Sigma, plain and field kernels of a draw",
        (M * wmax + 2 * M * M) * t + 3 * M * M * 8);
  add(pc, e.per_chain, "per-chain scalars", 8 * 8);
  // Shared per batch.
  const std::size_t entries = (sel.diagonal ? Dp : Dp * Dp) * M * M;
  auto& sh = e.shared_items;
  add(sh, e.shared, cnn ? "input patches, targets, Phi" : "inputs, targets, Phi",
      (DN * (cnn ? S : 1) * m.in_channels + static_cast<std::size_t>(P) * nd + static_cast<std::size_t>(P) * P) * t);
  add(sh, e.shared, "kernel of one draw per chain group", groups * entries * t);
  if (field) {
    // relu: w_1 of 257 correlations x 401 points; erf/tanh: G (float, 41 x 241 x 201 x 2); 1-D fields per pair.
    const std::size_t pairs = M * (M - 1) / 2, per_1d = 401 * 4 * 8;
    const std::size_t tables = m.activation == Activation::relu ? 257 * 401 * 2 * 8 + pairs * per_1d
                               : m.activation == Activation::quadratic
                                   ? 0
                                   : 41 * 241 * 201 * 2 * 4 + L * (pairs + M) * per_1d;
    add(sh, e.shared, "conditional field: tables (universal and per pair)", tables + M * M * 8 * (L + 1));
  }
  if (stein) {
    const std::size_t Tc = cnn ? DN : static_cast<std::size_t>(P);
    add(sh, e.shared, "Stein: layer 1's input kernel and per-group sums of Z delta^T", (groups + 1) * Dp * M * Tc * t);
  }
  add(sh, e.shared, "kernel accumulators (double, per group, layer and statistic)",
      groups * entries * 8 * (L * stats + readout_stats));
  // Host (doubles). SC = chains x draws values per trace; L + 2 traces (U, loss, tr(K_l Phi)).
  const std::size_t draws = static_cast<std::size_t>(s.samples), C = static_cast<std::size_t>(s.chains);
  const std::size_t SC = C * draws, G = static_cast<std::size_t>(s.groups), E8 = entries * 8;
  auto& ho = e.host_items;
  std::size_t unused = 0;
  // NNGP K0_0..K0_L and, per layer, its NNGP copy, theory and theory SE: full (N D)^2 tensors.
  add(ho, e.host_always, "NNGP and theory tensors (all the run)", (4 * L + 1) * DN * DN * 8);
  // A Monte Carlo theory (prior moments, or one nonlinear layer) keeps its batches' estimates for norm SEs.
  if (plan.theory.method == TheoryMethod::prior_moments || m.activation != Activation::linear)
    add(ho, e.host_always, "Monte Carlo theory: its batches' own estimates (norm SEs)",
        kTheoryGroups * L * DN * DN * 8);
  add(ho, e.host_with_backend, "traces of a batch and of the run (while sampling)", draws * (L + 2) * 8 * (C + batch));
  add(ho, e.host_with_backend, "kernel group sums, merging the last batch",
      ((L * stats + readout_stats) * G + groups) * E8);
  add(ho, unused, "after sampling: traces of the run", SC * (L + 2) * 8);
  // Raw and reordered sums of every statistic, and (Stein) about 4 L more per-group tensors while estimating.
  const std::size_t est = (2 * (L * stats + readout_stats) + (stein ? 4 * L + 3 : 1)) * G * E8;
  add(ho, unused, "after sampling: group sums, reordered, and the estimators' per-group tensors", est);
  add(ho, unused, "after sampling: rank-normalisation copies of one trace", 6 * SC * 8);
  const std::size_t kept = L * G * (E8 + (Dp > 1 ? M * M * 8 : 0));  // cnn: and the spatial traces' (M x M)
  add(ho, unused, "after sampling: the reported kernels' group estimates (norm SEs)", kept);
  e.host_after = SC * (L + 2) * 8 + std::max(est, 6 * SC * 8) + kept;
  e.host = e.host_always + std::max(e.host_with_backend, e.host_after);
  return e;
}

std::string describe_memory(const RunPlan& plan) {
  const MemoryEstimate& e = plan.memory;
  const RunPlan& s = plan;  // the run's sizes
  const int batch = plan.chain_batch;
  const bool same_memory = !plan.device.cuda;
  std::string out;
  char line[256];
  auto mib = [](std::size_t b) { return b / 1048576.0; };
  auto items = [&](const char* title, const std::vector<MemoryItem>& v, std::size_t sum) {
    std::snprintf(line, sizeof line, "  %s: %.4g MiB\n", title, mib(sum));
    out += line;
    for (const auto& i : v) {
      std::snprintf(line, sizeof line, "    %-52s %12.4g MiB\n", i.name.c_str(), mib(i.bytes));
      out += line;
    }
  };
  items("per chain (backend)", e.per_chain_items, e.per_chain);
  items("per batch, shared (backend)", e.shared_items, e.shared);
  items("host (peak; the items after sampling replace the batch's)", e.host_items, e.host);
  std::snprintf(line, sizeof line, "  backend total for a batch of %d chains: %.4g MiB (%d batch%s of %d chains)\n",
                batch, mib(e.total(batch)), s.chains / batch, s.chains / batch == 1 ? "" : "es", batch);
  out += line;
  if (same_memory) {
    std::snprintf(line, sizeof line, "  expected peak (backend + host, CPU): %.4g MiB\n",
                  mib(e.peak_same_memory(batch)));
    out += line;
  }
  return out;
}

namespace {

std::size_t host_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) : 0;
}

// The host's need as a function of the draws kept: fixed + per_draw * samples.
void host_need_per_draw(const RunPlan& plan, std::size_t& fixed, std::size_t& per_draw) {
  const auto need_with = [&](int samples) {
    RunPlan p = plan;
    p.samples = samples;
    const MemoryEstimate m = estimate_memory(p);
    return p.device.cuda ? m.host : m.peak_same_memory(p.chain_batch);
  };
  const std::size_t one = need_with(1), two = need_with(2);
  per_draw = two > one ? two - one : 0;
  fixed = one - per_draw;
}

}  // namespace

void check_memory(const RunPlan& plan) {
  const DeviceChoice& d = plan.device;
  const MemoryEstimate& e = plan.memory;
  const int batch = plan.chain_batch;
  char msg[640];
  // The host: the traces and diagnostics grow with the draws kept, whatever the batch. When they are what does
  // not fit, name samples (and thin, which keeps a run's length with fewer draws) and the draws that fit.
  const std::size_t host_avail = host_memory(), host_budget = host_avail / 10 * 9;
  const std::size_t host_need = d.cuda ? e.host : e.peak_same_memory(batch);
  if (host_avail > 0 && host_need > host_budget) {
    std::size_t fixed = 0, per_draw = 0;
    host_need_per_draw(plan, fixed, per_draw);
    if (fixed + per_draw <= host_budget && per_draw > 0) {
      const long draws = static_cast<long>((host_budget - fixed) / per_draw);
      std::snprintf(msg, sizeof msg,
                    "%s: [sampler] samples = %d: the traces and diagnostics of %d chains x %d draws need %.3g GiB, "
                    "but this machine has %.3g GiB; use samples <= %ld (with thin = %ld for the same run length)",
                    plan.source.c_str(), plan.samples, plan.chains, plan.samples, host_need / 1073741824.0,
                    host_avail / 1073741824.0, draws,
                    static_cast<long>(plan.thin) * ((plan.samples + draws - 1) / std::max(draws, 1L)));
      throw InputError(msg);
    }
  }
  std::size_t avail = d.cuda ? cuda_free_memory(d.ordinal) : host_avail;  // this rank's GPU, not GPU 0
  if (avail == 0) return;
  const std::size_t budget = avail / 10 * 9;
  // On the CPU the host's traces and sums share the same memory as the backend buffers.
  const std::size_t need = d.cuda ? e.total(batch) : host_need;
  if (need <= budget && (!d.cuda || host_avail == 0 || host_need <= host_budget)) return;
  const long fit =
      e.shared < budget ? static_cast<long>((budget - e.shared) / std::max<std::size_t>(e.per_chain, 1)) : 0;
  if (fit < 1 || need <= budget) {  // not even one chain (or the host's tensors): the model and data, not the chains
    std::string w;
    for (int x : plan.model.widths) w += (w.empty() ? "" : ",") + std::to_string(x);
    std::snprintf(msg, sizeof msg,
                  "%s: [model] widths = [%s]: one chain needs %.3g GiB (%.3g MiB per chain + %.3g MiB shared, %.3g "
                  "MiB on the host) but %s has %.3g GiB available; use smaller widths, fewer examples or "
                  "[output] kernel_inputs (see fwmc run --dry-run)",
                  plan.source.c_str(), w.c_str(), (e.per_chain + e.shared) / 1073741824.0, e.per_chain / 1048576.0,
                  e.shared / 1048576.0, e.host / 1048576.0, d.cuda ? "the GPU" : "this machine", avail / 1073741824.0);
    throw InputError(msg);
  }
  std::snprintf(msg, sizeof msg,
                "%s: [sampler] chains = %d: a batch of %d chains needs %.3g GiB (%.3g MiB per chain + %.3g MiB shared) "
                "but %s has %.3g GiB available; use chain_batch (or chains) <= %ld",
                plan.source.c_str(), plan.chains, batch, need / 1073741824.0, e.per_chain / 1048576.0,
                e.shared / 1048576.0, d.cuda ? "the GPU" : "this machine", avail / 1073741824.0, fit);
  throw InputError(msg);
}

}  // namespace fwmc
