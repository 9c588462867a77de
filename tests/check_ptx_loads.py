#!/usr/bin/env python3
"""Checks the CUDA backend's PTX: every kernel that reads global memory reads its read-only inputs through the
read-only data path (ld.global.nc), which the kernels get from __restrict__ (cuda::In in kernels/cuda_kernels.cuh).
A kernel whose every global load is plain lost its __restrict__ (a pointer captured by a lambda unwrapped, say).

usage: check_ptx_loads.py FILE.ptx [...]"""
import re
import sys


def kernels(ptx):
    """(name, body) of each .entry in a PTX text."""
    starts = [m for m in re.finditer(r"^\.(?:visible )?\.entry (\S+)\(", ptx, re.M)]
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(ptx)
        yield m.group(1), ptx[m.end():end]


def main(paths):
    checked, bad = 0, []
    for path in paths:
        with open(path) as f:
            ptx = f.read()
        for name, body in kernels(ptx):
            loads = re.findall(r"\bld\.global(\.nc)?\.", body)
            if not loads:
                continue  # writes only (the normals, fills)
            checked += 1
            if not any(nc for nc in loads):
                bad.append(f"{name}: {len(loads)} global loads, none through the read-only path")
    if checked == 0:
        print("no kernel with global loads found: is this the backend's PTX?", file=sys.stderr)
        return 1
    for b in bad:
        print(b, file=sys.stderr)
    print(f"{checked} kernels read global memory; {checked - len(bad)} of them through ld.global.nc")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
