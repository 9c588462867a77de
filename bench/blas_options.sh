#!/usr/bin/env bash
# The BLAS options fwmc could use on this machine, measured on the large benchmark's GEMM shapes with 2 threads:
# Debian's OpenBLAS 0.3.21 with its own kernel choice and with OPENBLAS_CORETYPE=SkylakeX/Haswell (what fwmc sets),
# Debian's BLIS 0.9.0 (OpenMP build), and the newest OpenBLAS on PyPI (scipy-openblas32). Downloads the BLIS package
# and the wheel into build/blas-options (needs apt-get download and pip). Usage: bench/blas_options.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=build/blas-options
mkdir -p "$work"
g++ -O2 bench/blas_options.cpp -o "$work/gemm" -ldl
openblas=$(ls /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0)
if [ ! -d "$work/blis" ]; then
  (cd "$work" && apt-get download libblis4-openmp >/dev/null 2>&1 && dpkg-deb -x libblis4-openmp_*.deb blis)
fi
if [ ! -d "$work/sob" ]; then
  python3 -m pip download -q scipy-openblas32 --no-deps -d "$work/sob" && (cd "$work/sob" && python3 -m zipfile -e ./*.whl .)
fi
blis=$(find "$work/blis" -name 'libblis.so.4' | head -1)
sob=$(find "$work/sob" -name 'libscipy_openblas.so' | head -1)
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 BLIS_NUM_THREADS=2
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "OpenBLAS 0.3.21 (Debian), its own kernels:"; "$work/gemm" "$openblas" | tail -1
for core in Haswell SkylakeX; do
  echo "OpenBLAS 0.3.21 (Debian), OPENBLAS_CORETYPE=$core:"; OPENBLAS_CORETYPE=$core "$work/gemm" "$openblas" | tail -1
done
echo "BLIS 0.9.0 (Debian, OpenMP):"; LD_LIBRARY_PATH="$(dirname "$blis")" "$work/gemm" "$blis" | tail -1
echo "OpenBLAS (PyPI scipy-openblas32), its own kernels:"; SYM=scipy_cblas_sgemm "$work/gemm" "$sob" | tail -1
