#!/usr/bin/env python3
"""Checks that no source includes a header of a higher layer (docs/architecture.md).

A header include/fwmc/<name>.hpp belongs to the layer of the folder holding <name>.cpp (or to HEADER_LAYER for
header-only interfaces); host/<folder>/*.hpp and kernels/ belong to their folder's layer. Prints every upward
include; exits 1 when one is not in KNOWN (the exceptions still to be removed), or when a KNOWN one is gone
(so the list only shrinks). With --graph it also prints the include graph between layers (how many includes
each layer makes into each lower one). usage: cmake/check_layers.py [--graph] [repo root]
"""
import os
import re
import sys

LAYERS = ["kernels/shared", "backends", "config", "io", "data", "stats", "models", "samplers", "estimators",
          "theory", "oracle", "run", "report", "jobs", "cli", "python"]
# Front ends are siblings: the Python module binds the jobs, never the command line.
FORBIDDEN = {("python", "cli")}
FOLDER_LAYER = {"kernels/shared": "kernels/shared", "kernels": "backends", "host/cpu": "backends",
                "host/mpi": "backends", "host/config": "config", "host/io": "io", "host/data": "data",
                "host/stats": "stats", "host/models": "models", "host/samplers": "samplers",
                "host/estimators": "estimators", "host/theory": "theory", "host/oracle": "oracle",
                "host/run": "run", "host/report": "report", "host/jobs": "jobs", "host/cli": "cli",
                "python/src": "python"}
HEADER_LAYER = {"backend": "backends", "errors": "backends", "comm": "backends", "devices": "backends",
                "version": "backends", "matrix_view": "backends", "forwarding_backend": "backends", "potential": "models",
                "stein_field": "estimators", "named_array": "data"}
# Upward includes not yet removed: (including file, included header).
KNOWN = {
}


def main():
    args = [a for a in sys.argv[1:] if a != "--graph"]
    graph = len(args) != len(sys.argv) - 1
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    os.chdir(root)
    sources = []
    for top in ("host", "kernels", "include/fwmc", "python/src"):
        for d, _, files in os.walk(top):
            sources += [os.path.join(d, f) for f in files if f.endswith((".cpp", ".hpp", ".cu", ".cuh"))]
    header_layer = dict(HEADER_LAYER)
    for s in sources:
        if s.startswith("include/"):
            continue
        name, ext = os.path.splitext(os.path.basename(s))
        if ext in (".cpp", ".cu") and os.path.exists(f"include/fwmc/{name}.hpp"):
            header_layer[name] = FOLDER_LAYER[os.path.dirname(s)]

    def layer_of(path):
        if path.startswith("include/fwmc/"):
            name = os.path.splitext(os.path.basename(path))[0]
            if name not in header_layer:
                sys.exit(f"check_layers: {path} has no source and no entry in HEADER_LAYER")
            return header_layer[name]
        return FOLDER_LAYER[os.path.dirname(path)]

    found = set()
    edges = {}
    for s in sorted(sources):
        mine = LAYERS.index(layer_of(s))
        for inc in re.findall(r'#include "([^"]+)"', open(s, encoding="utf-8").read()):
            target = "include/" + inc if inc.startswith("fwmc/") else inc
            if not os.path.exists(target):
                continue  # generated headers (build/generated)
            theirs = LAYERS.index(layer_of(target))
            if theirs != mine:
                edges[(LAYERS[mine], LAYERS[theirs])] = edges.get((LAYERS[mine], LAYERS[theirs]), 0) + 1
            if theirs > mine or (LAYERS[mine], LAYERS[theirs]) in FORBIDDEN:
                found.add((s, inc))
    if graph:
        for a in reversed(LAYERS):
            out = [f"{b} {edges[(a, b)]}" for b in reversed(LAYERS) if (a, b) in edges]
            print(f"{a:>15} -> {', '.join(out) if out else '(none)'}")
    new, gone = found - set(KNOWN), set(KNOWN) - found
    for s, inc in sorted(found):
        print(f"{'UPWARD' if (s, inc) in new else 'known '} {s} ({layer_of(s)}) includes {inc} ({layer_of('include/' + inc if inc.startswith('fwmc/') else inc)})")
    for s, inc in sorted(gone):
        print(f"fixed  {s} no longer includes {inc}: remove it from KNOWN")
    print(f"check_layers: {len(found)} upward includes ({len(new)} new), layers: {' < '.join(LAYERS)}")
    return 1 if new or gone else 0


if __name__ == "__main__":
    sys.exit(main())
