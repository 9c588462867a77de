#!/usr/bin/env bash
# One script for a GPU machine (sized for < 8 minutes on one H200 with 16 cores, build included): checks the tools,
# configures with CUDA and without MPI, builds, runs the backend-ops harness (CPU vs CUDA) and every `gpu`-labelled
# test, compute-sanitizer's memcheck on the harness when it is there, and the throughput benchmark on the GPU
# (cuBLAS ceiling ratio); prints a table and writes gpu_check.json. Fails when any GPU test fails or skips.
# If the machine has no package registry, first run bench/fetch_gpu_deps.sh where one is reachable and carry .deps/.
#   usage: bash bench/gpu_check.sh            (logs and gpu_check.json go to $OUT when set)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/fwmc_gpu_check}
mkdir -p "$out"
t0=$(date +%s)
die() { echo "gpu_check: $*" >&2; exit 2; }

# ---- preflight: every tool, and a device, before minutes go into a build
command -v cmake >/dev/null || die "cmake not found"
command -v c++ >/dev/null || command -v g++ >/dev/null || die "no C++ compiler (g++) found"
nvcc=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null) || die "nvcc not found (CUDA Toolkit; try PATH=/usr/local/cuda/bin:\$PATH)"
command -v nvidia-smi >/dev/null || die "nvidia-smi not found: no NVIDIA driver on this machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > "$out/gpu.txt" 2>&1 \
  || die "nvidia-smi sees no device: $(head -1 "$out/gpu.txt")"
echo "gpu_check: $(head -1 "$out/gpu.txt"); nvcc $("$nvcc" --version | grep -o 'release [0-9.]*')"

extra=()
if [ ! -d /usr/include/toml++ ]; then
  [ -d .deps ] || die "the build dependencies are missing (no /usr/include/toml++) and no .deps/ was carried: run bench/fetch_gpu_deps.sh where Debian's registry is reachable"
  source bench/gpu_deps_env.sh .deps /tmp/fwmc_deps
  extra=("${FWMC_DEPS_CMAKE_ARGS[@]}")
fi

# ---- build (no MPI: one process per GPU here, and no mpirun start-up cost)
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DFWMC_CUDA=ON -DFWMC_MPI=OFF -DCMAKE_CUDA_COMPILER="$nvcc" \
  -DCMAKE_CUDA_ARCHITECTURES=90 "${extra[@]}" > "$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
cmake --build build-gpu -j"$(nproc)" --target fwmc fwmc_tests fwmc_bench > "$out/build.log" 2>&1 \
  || { grep -E 'error' "$out/build.log" | head -30; exit 1; }
t_build=$(( $(date +%s) - t0 ))
./build-gpu/fwmc --version | tee "$out/version.txt"

# ---- tests: the harness (CPU vs CUDA) and the gpu label; a skip means no device was seen, which is a failure here
FWMC_OPS_PERF=1 ./build-gpu/fwmc_tests --gtest_filter='BackendOps.*' > "$out/backend_ops.log" 2>&1
ops_rc=$?
ctest --test-dir build-gpu -L gpu --output-on-failure > "$out/gpu_tests.log" 2>&1
gpu_rc=$?
skipped=$(grep -cE "\*\*\*Skipped|Not Run" "$out/gpu_tests.log")
grep -E "Test +#|tests passed|Failed" "$out/gpu_tests.log"
memcheck="not available"
if command -v compute-sanitizer >/dev/null; then
  compute-sanitizer --tool memcheck --error-exitcode 9 ./build-gpu/fwmc_tests \
    --gtest_filter='BackendOps.EveryCaseMatchesTheCpuReferenceInFloat' > "$out/memcheck.log" 2>&1
  memcheck=$([ $? -eq 0 ] && echo clean || echo "errors (memcheck.log)")
fi

# ---- throughput
./build-gpu/fwmc_bench --device cuda 2>&1 | tee "$out/bench_gpu.txt"
./build-gpu/fwmc_bench --device cpu --quick > "$out/bench_cpu.txt" 2>&1
ratio=$(grep -o 'large_config_ceiling_ratio=[0-9.eE+-]*' "$out/bench_gpu.txt" | cut -d= -f2)
total=$(( $(date +%s) - t0 ))
ops_line=$(grep -E "cases on" "$out/backend_ops.log" | tr '\n' ';')

echo
echo "== fwmc gpu_check summary =="
printf "%-28s %s\n" "device" "$(head -1 "$out/gpu.txt")"
printf "%-28s %s s\n" "configure + build" "$t_build"
printf "%-28s %s (%s)\n" "backend-ops harness" "$([ $ops_rc -eq 0 ] && echo passed || echo FAILED)" "$ops_line"
printf "%-28s %s\n" "gpu tests" "$(grep -E 'tests passed' "$out/gpu_tests.log" || echo 'see gpu_tests.log')"
printf "%-28s %s\n" "gpu tests skipped" "$skipped"
printf "%-28s %s\n" "memcheck (harness)" "$memcheck"
printf "%-28s %s\n" "gpu large ceiling ratio" "${ratio:-n/a}"
printf "%-28s %s s\n" "total" "$total"

python3 - "$out" "$t_build" "$total" "$ops_rc" "$gpu_rc" "$skipped" "$memcheck" "${ratio:-}" <<'PY' || true
import json, re, sys
out, t_build, total, ops_rc, gpu_rc, skipped, memcheck, ratio = sys.argv[1:]
tests = []
for line in open(f"{out}/gpu_tests.log", errors="replace"):
    m = re.search(r"Test +#\d+: (\S+) \.+\s*(\*\*\*)?(\w+[\w ]*?)\s+([\d.]+) sec", line)
    if m:
        tests.append({"name": m.group(1), "result": m.group(3), "seconds": float(m.group(4))})
json.dump({"device": open(f"{out}/gpu.txt").readline().strip(), "build_s": int(t_build), "total_s": int(total),
           "backend_ops_passed": ops_rc == "0", "gpu_tests": tests, "gpu_tests_skipped": int(skipped),
           "memcheck": memcheck, "large_config_ceiling_ratio": float(ratio) if ratio else None},
          open(f"{out}/gpu_check.json", "w"), indent=2)
PY
[ "$skipped" -gt 0 ] && { echo "gpu_check: $skipped gpu test(s) skipped: the device was not seen by the tests" >&2; exit 1; }
[ $ops_rc -ne 0 ] && exit 1
exit $gpu_rc
