#!/usr/bin/env bash
# ctest Carrier.BuildsAgainstTheCarriedPackagesAlone: proves that bench/fetch_gpu_deps.sh carries everything a
# GPU machine without Debian's dev packages needs. It downloads the packages into an empty folder, unpacks them into
# an empty prefix (bench/gpu_deps_env.sh, as gpu_check.sh does), configures the CUDA build to find its dependencies
# there and nowhere under /usr, links the fwmc binary, and then checks that every package's cmake config, every
# header the compiler read from a carried package and every shared library fwmc loads came from the prefix, and that
# no library link in the prefix dangles. Exit 77 (a skip) when there is no nvcc or Debian's registry is unreachable.
# A unity build: what is checked is where headers and libraries come from, and batching the sources halves the time.
#   usage: tests/carrier_check.sh SOURCE_DIR
set -uo pipefail
src=$(cd "$1" && pwd)
work=$(mktemp -d /tmp/fwmc_carrier.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "carrier: $*" >&2; exit 1; }
nvcc=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null) || { echo "carrier: skipped: no nvcc"; exit 77; }
bash "$src/bench/fetch_gpu_deps.sh" "$work/debs" > "$work/fetch.log" 2>&1 \
  || { tail -3 "$work/fetch.log"; echo "carrier: skipped: Debian's registry is not reachable"; exit 77; }
# shellcheck source=../bench/gpu_deps_env.sh
source "$src/bench/gpu_deps_env.sh" "$work/debs" "$work/prefix"
prefix=$work/prefix
# Every library link in the prefix resolves (a -dev package alone leaves its .so pointing at nothing).
dangling=$(find "$prefix" -xtype l -name '*.so*')
[ -z "$dangling" ] || fail "dangling library links (a runtime package is missing from bench/fetch_gpu_deps.sh): $dangling"
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Debug -DFWMC_CUDA=ON -DFWMC_MPI=OFF -DCMAKE_CUDA_COMPILER="$nvcc" \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_UNITY_BUILD=ON "${FWMC_DEPS_CMAKE_ARGS[@]}" > "$work/configure.log" 2>&1 \
  || { tail -20 "$work/configure.log"; fail "configuring against the carried packages failed"; }
for pkg in tomlplusplus GTest Eigen3 nlohmann_json CLI11; do
  dir=$(grep -E "^${pkg}_DIR:" "$work/build/CMakeCache.txt" | cut -d= -f2-)
  case "$dir" in "$prefix"/*) ;; *) fail "$pkg was found at '$dir', not in the carried packages" ;; esac
done
cmake --build "$work/build" -j"$(nproc)" --target fwmc > "$work/build.log" 2>&1 \
  || { grep -E "error|undefined" "$work/build.log" | head -20; fail "linking fwmc against the carried packages failed"; }
# Headers of carried packages read from the system instead of the prefix (the compiler's dependency files).
# (A path that starts there: the prefix's own paths end in usr/include too.)
system=$(find "$work/build" -name '*.d' -print0 | xargs -0 grep -hoE \
  "(^|[[:space:]])/usr/include/(toml\+\+|nlohmann|CLI/|Random123|gtest|eigen3|x86_64-linux-gnu/openblas)[^ :\\]*" |
  sort -u | head -5)
[ -z "$system" ] || fail "headers came from the system, not the carried packages: $system"
missing=$(ldd "$work/build/fwmc" | grep "not found")
[ -z "$missing" ] || fail "fwmc cannot load: $missing"
for lib in libtomlplusplus libopenblas; do
  where=$(ldd "$work/build/fwmc" | grep "$lib" | awk '{print $3}')
  case "$where" in "$prefix"/*) ;; *) fail "$lib loads from '$where', not from the carried packages" ;; esac
done
echo "carrier: $(ls "$work/debs"/*.deb | wc -l) packages; fwmc (CUDA) configured, linked and loaded against them alone"
