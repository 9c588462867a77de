// What a sampling run gathers from its finished chain batches, each at its batch's place (zero elsewhere, so that
// summing the ranks' copies assembles the run exactly), the run's counters, and their checkpoint form.
#pragma once
#include <cstdint>
#include <vector>

#include "fwmc/checkpoint.hpp"
#include "fwmc/comm.hpp"
#include "fwmc/kernel_accumulator.hpp"

namespace fwmc {

struct RunCounters {
  long counted_steps = 0;  // post-warm-up chain-steps (the acceptance mean's denominator)
  long divergences = 0, nonfinite_events = 0, dropped_nonfinite = 0, dropped_divergent = 0;
};

struct RunTotals {
  std::vector<std::vector<double>> group_sums;  // per statistic: every group's sums (groups x entries)
  std::vector<double> group_counts;             // terms per group sum
  std::vector<double> dropped;                  // per chain: 1 if dropped
  std::vector<double> step_sizes;               // per chain, after warm-up
  std::vector<double> accept;                   // per chain: post-warm-up acceptance probabilities summed
  Traces traces;                                // every chain, draws x chains (allocated when first needed)
  RunCounters n;
  double sampling_s_before = 0;  // sampling seconds of the runs this one resumes
  double stein_s = 0;            // seconds on the Stein statistics in the finished batches

  RunTotals(int chains, int groups, std::size_t entries, const Statistics& st, int depth, long draws);

  // A finished batch bi of `batch` chains: its accumulator's group sums, counts and traces, its drop flags and
  // step sizes, at the batch's place.
  template <class T>
  void add_batch(int bi, int batch, const KernelAccumulator<T>& acc, const std::vector<std::uint8_t>& alive,
                 const std::vector<double>& steps);
  void save(CheckpointData& ck, const Statistics& st) const;
  void load(const CheckpointData& ck, const Statistics& st);
  // Sums every rank's totals into rank 0's; the sampling time (and the Stein statistics' share) is the slowest
  // rank's.
  void reduce_to_root(Comm& comm, double& sampling_s);

 private:
  // The run's traces take draws x chains doubles each; a run interrupted before its first batch ends never
  // needs them, and a checkpoint holds only the finished batches' columns (not the zeros of the others).
  void allocate_traces();
  void load_traces(const CheckpointData& ck);
  std::vector<int> finished_;  // batches whose traces are in `traces`, in the order they finished
  int batch_ = 0;              // chains per batch (0 until one finished)
};

}  // namespace fwmc
