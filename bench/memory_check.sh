#!/usr/bin/env bash
# The memory model (`fwmc run --dry-run`) against the measured peak RSS of real runs on the CPU.
# Each run's summary.json records the model and getrusage's peak RSS; the process baseline (binary, libraries,
# OpenBLAS and OpenMP buffers) is measured once with a tiny run and added to the model.
#   usage: bench/memory_check.sh [build/fwmc]
set -euo pipefail
FWMC=${1:-build/fwmc}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
run() {  # name, then --set overrides
  local name=$1; shift
  local sets=()
  for s in "$@"; do sets+=(--set "$s"); done
  "$FWMC" run "${sets[@]}" --out "$T/$name" > "$T/$name.log" 2>&1
  python3 - "$T/$name/summary.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["memory"]
print(m["model_peak_cpu_mib"], m["peak_rss_mib"])
PY
}
read -r _ base < <(run baseline data.n_train=4 data.n_test=0 data.input_dim=4 'model.widths=[4]' sampler.chains=2 \
                  sampler.groups=2 sampler.warmup=2 sampler.samples=2)
printf "process baseline (tiny run): %.0f MiB peak RSS\n" "$base"
printf "%-34s %10s %10s %10s %7s\n" config model_MiB +baseline measured ratio
check() {
  local name=$1; shift
  read -r model rss < <(run "$name" "$@")
  python3 -c "m=$model; b=$base; r=$rss; print(f'{\"$name\":<34} {m:10.0f} {m+b:10.0f} {r:10.0f} {r/(m+b):7.3f}')"
}
check "fcn 3x512, P=256, 64 chains (HMC)" data.n_train=256 data.n_test=0 data.input_dim=100 data.output_dim=10 \
  'model.widths=[512,512,512]' sampler.chains=64 sampler.warmup=2 sampler.samples=3 sampler.leapfrog_steps=2
check "cnn2d 8x8x3, ch 16,16, P=32" data.n_train=32 data.n_test=0 'data.input_shape=[8,8,3]' 'model.arch="cnn2d"' \
  'model.widths=[16,16]' sampler.chains=32 sampler.groups=16 sampler.warmup=2 sampler.samples=3 sampler.leapfrog_steps=2
check "fcn width 16, 1024 chains, 6000 draws" 'model.widths=[16,16]' sampler.chains=1024 'sampler.method="ula"' \
  sampler.step_size=0.001 sampler.warmup=0 sampler.samples=6000
