#!/usr/bin/env bash
# The project's lint: clang-format's layout (.clang-format) on every C++/CUDA source, then clang-tidy's checks
# (.clang-tidy) over host/ and bench/ with the compile commands of a configured build (about 3.5 minutes on 2 cores).
# ctest runs the layout check (Lint.ClangFormat); run the whole lint before sending a change.
# usage: cmake/lint.sh [--format-only] [build dir, default build]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
format_only=0
if [ "${1:-}" = "--format-only" ]; then format_only=1; shift; fi
build="${1:-build}"
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.cu' '*.cuh' 2>/dev/null || find host include kernels tests bench \
  -name '*.cpp' -o -name '*.hpp' -o -name '*.cu' -o -name '*.cuh')
if ! clang-format --dry-run -Werror "${files[@]}"; then
  echo "lint: the files above are not in the project's layout; run: clang-format -i <file>" >&2
  exit 1
fi
echo "lint: clang-format: ${#files[@]} files in layout"
[ "$format_only" = 1 ] && exit 0
run-clang-tidy -p "$build" -quiet -j "$(nproc)" 'host/.*\.cpp$|bench/.*\.cpp$' > "$build/clang-tidy.log" 2>&1 || {
  grep -E "(warning|error):" "$build/clang-tidy.log" | sort -u >&2
  echo "lint: clang-tidy found the problems above (full log: $build/clang-tidy.log)" >&2
  exit 1
}
echo "lint: clang-tidy: clean on host/ and bench/"
