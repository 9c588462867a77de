#!/usr/bin/env bash
# One script for a GPU machine (sized for < 8 minutes on one H200, build included): configure with CUDA, build,
# run the `gpu`-labelled tests and the throughput benchmark on the GPU (cuBLAS ceiling ratio) and print a table.
# If the machine has no package registry, first run bench/fetch_gpu_deps.sh where one is reachable and carry .deps/.
#   usage: bash bench/gpu_check.sh            (writes logs to $OUT when set)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/fwmc_gpu_check}
mkdir -p "$out"
t0=$(date +%s)
extra=()
if [ ! -d /usr/include/toml++ ] && [ -d .deps ]; then
  # Unpack the carried Debian packages into a private prefix (never into /).
  deps=/tmp/fwmc_deps
  mkdir -p $deps
  for f in .deps/*.deb; do dpkg -x "$f" $deps; done
  arch=$deps/usr/lib/x86_64-linux-gnu
  export LD_LIBRARY_PATH=$arch/openblas-pthread:$arch:${LD_LIBRARY_PATH:-}
  extra=(-DCMAKE_PREFIX_PATH="$deps/usr;$arch/cmake"
         -Dtomlplusplus_DIR=$arch/cmake/tomlplusplus -DGTest_DIR=$arch/cmake/GTest
         -DFWMC_BLAS_LIBRARIES=$arch/openblas-pthread/libopenblas.so.0
         -DCMAKE_CXX_FLAGS="-I$deps/usr/include -I$deps/usr/include/x86_64-linux-gnu/openblas-pthread -I$deps/usr/include/eigen3")
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | tee "$out/gpu.txt"
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DFWMC_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 "${extra[@]}" \
  > "$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
cmake --build build-gpu -j"$(nproc)" --target fwmc fwmc_tests fwmc_bench > "$out/build.log" 2>&1 \
  || { grep -E 'error' "$out/build.log" | head -30; exit 1; }
t_build=$(( $(date +%s) - t0 ))
./build-gpu/fwmc --version | tee "$out/version.txt"
ctest --test-dir build-gpu -L gpu --output-on-failure > "$out/gpu_tests.log" 2>&1
gpu_rc=$?
grep -E "Test +#|tests passed|Failed|Skipped" "$out/gpu_tests.log"
./build-gpu/fwmc_bench --device cuda 2>&1 | tee "$out/bench_gpu.txt"
./build-gpu/fwmc_bench --device cpu --quick 2>&1 | tee "$out/bench_cpu.txt"
echo
echo "== fwmc gpu_check summary =="
printf "%-28s %s\n" "device" "$(head -1 "$out/gpu.txt")"
printf "%-28s %s s\n" "configure + build" "$t_build"
printf "%-28s %s\n" "gpu tests" "$(grep -E 'tests passed' "$out/gpu_tests.log" || echo 'see gpu_tests.log')"
printf "%-28s %s\n" "gpu large ceiling ratio" "$(grep -o 'large_config_ceiling_ratio=.*' "$out/bench_gpu.txt")"
printf "%-28s %s s\n" "total" "$(( $(date +%s) - t0 ))"
exit $gpu_rc
