#!/usr/bin/env bash
# Usage: under_kernels.sh KERNELS FWMC COMMAND...: runs COMMAND with OPENBLAS_CORETYPE=KERNELS (ctest's
# Bitwise.<kernels> tests), so the bitwise tests run under kernel sets other than the one this machine's BLAS
# picks. Exit 77 (ctest: skipped), with the reason, when this CPU cannot run those kernels (fwmc refuses them).
set -euo pipefail
kernels=$1 fwmc=$2
shift 2
export OPENBLAS_CORETYPE=$kernels
if ! why=$("$fwmc" --version 2>&1 >/dev/null); then
  echo "skipped: ${why#fwmc: error: }"
  exit 77
fi
exec "$@"
