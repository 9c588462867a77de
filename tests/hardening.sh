#!/usr/bin/env bash
# CI hardening step, run by ctest: builds fwmc with clang under AddressSanitizer + UndefinedBehaviorSanitizer in
# build-sanitize/, runs every unit test there once, then fuzzes each input parser for FWMC_FUZZ_SECONDS (default 20)
# from the seed corpora in fuzz/corpus/. Crashers are saved under build-sanitize/crashes/ and fail the step;
# add each as a regression test (tests/test_bad_input.cpp) once fixed.
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
b=$src/build-sanitize
secs=${FWMC_FUZZ_SECONDS:-20}
# -O2 with line tables only (FWMC_FUZZ adds them): file:line in every report, a third less compile time than -g.
# A unity build (sources compiled in batches of 8): the headers are parsed once per batch, which halves this build's
# time (measured: 10 to 6 min on 2 cores). It also keeps file-local names distinct across sources.
CC=clang CXX=clang++ cmake -S "$src" -B "$b" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" \
  -DFWMC_CUDA=OFF -DFWMC_MPI=OFF -DFWMC_FUZZ=ON -DCMAKE_UNITY_BUILD=ON > "$b.log" 2>&1 ||
  { cat "$b.log"; exit 1; }
cmake --build "$b" -j"$(nproc)" >> "$b.log" 2>&1 || { tail -50 "$b.log"; exit 1; }
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== unit tests under ASan + UBSan"
# Left out here (they run in the main pass): the Bitwise.<kernels> re-runs (the same tests under other OpenBLAS
# kernels: the BLAS is not instrumented, so they show the sanitizers nothing new); the equality tests, which
# repeat whole runs to compare their outputs bitwise (threads and batching, a second SIGKILL loop, SIGHUP after
# SIGINT, every folder state of --resume-or-start), whose paths the single runs here take; and long statistical
# comparisons whose code paths shorter tests take too (MALA beside HMC on the same nets, the one-layer fields
# beside the two-layer ones, cnn HMC beside CliRun.CnnRun* and Cnn.BetaZero*, the prior-moment estimator's
# convergence and cnn closed form beside its other cases, the divergence budget beside the non-finite drops).
# The sanitizers look at paths, not at draw counts or repeats: these took 850 of the 1450 s of sanitized test
# time (measured on this 2-core machine), the rest runs in about 5 minutes.
long='^Bitwise\.|BitwiseRuns\.|Posterior\.Bitwise|Checkpoint\.Sigkill|Checkpoint\.Sighup|Resume\.ResumeOrStart'
long+='|Posterior\.MalaAgrees|ConditionalField\.OneLayer|Cnn\.HmcAgreesWithTheOracle|DropPolicy\.ChainsOver'
long+='|PriorMomentEstimator\.(ApproachesTheOracle|ReproducesTheDeepLinearCnn)'
(cd "$b" && ctest -j"$(nproc)" -E "Gpu|Hardening|Carrier|Lint|Layers|$long" --output-on-failure | tail -4)
mkdir -p "$b/crashes"
for t in config npy csv idx; do
  work=$b/corpus_$t
  mkdir -p "$work"
  out=$("$b/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=4096 -artifact_prefix="$b/crashes/${t}_" \
        "$work" "$src/fuzz/corpus/$t" 2>&1) || { echo "$out" | tail -30; echo "fuzz_$t: crash saved in $b/crashes"; exit 1; }
  echo "fuzz_$t: $(echo "$out" | grep -o 'Done [0-9]* runs in [0-9]* second(s)' | tail -1)"
done
