#!/usr/bin/env bash
# Run HERE (a machine with Debian's package registry) before bench/gpu_check.sh goes to a GPU machine that has no
# registry: downloads the .deb files of fwmc's build dependencies into .deps/ (git-ignored; carry it along), or into
# the folder given. tests/carrier_check.sh (ctest Carrier.BuildsAgainstTheCarriedPackagesAlone) proves the list complete.
# The -dev packages hold only headers and the .so symlink: each library's runtime package comes along too
# (libtomlplusplus3, libopenblas0-pthread, libgfortran5, libquadmath0).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.deps}  # where the .deb files go (tests/carrier_check.sh passes a folder of its own)
mkdir -p "$out"
cd "$out"
apt-get update -qq
apt-get download libtomlplusplus-dev libtomlplusplus3 libcli11-dev nlohmann-json3-dev libeigen3-dev librandom123-dev libgtest-dev \
  libopenblas-pthread-dev libopenblas0-pthread libopenblas-dev libgfortran5 libquadmath0 2>&1 | tail -1
ls -la
