#!/usr/bin/env python3
"""MCSE ratio plain / conditional Stein field (docs/theory.md 12) against width, on the same draws.

The issue's protocol: the default data (synthetic teacher, P = 6 + 2 test, n0 = 10, n_d = 1, beta = 2), one hidden
layer of relu, erf or tanh at widths 32, 128 and 512, and a deep relu [128, 128]; 64 chains of HMC (float, 8
leapfrog steps, step size jittered per chain and iteration), warm-up / draws 300 / 600 (200 / 240 at width 512),
output.estimator = "both" so that both estimates come from the same draws. Prints one row per run: the median
over entries of the MCSE ratio and of the per-draw standard-deviation ratio, the agreement of the two estimates
(max |z|), and the estimator's share of the sampling time.

usage: bench/stein_ratios.py [--fwmc build/fwmc] [--acts relu,erf,tanh] [--widths 32,128,512] [--jitter 0.5]
Last lines: stein_ratio_<act>_<width>=<median MCSE ratio>
"""
import argparse
import json
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run(fwmc, act, widths, jitter, work):
    n = widths[0]
    warm, draws = (200, 240) if n >= 512 else (300, 600)
    out = os.path.join(work, f"{act}_{'x'.join(map(str, widths))}")
    cfg = os.path.join(HERE, "..", "configs", "default.toml")
    sets = [f"model.widths={widths}", f"model.activation={act}", "output.estimator=both", f"sampler.warmup={warm}",
            f"sampler.samples={draws}", f"sampler.jitter={jitter}", "theory.draws=20000"]
    cmd = [fwmc, "run", cfg, "--out", out, "--force"]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)
    t = s["timing"]
    rows = []
    for layer in s["layers"]:
        e = layer["estimator"]
        rows.append((layer["layer"], e["kind"], e["mcse_ratio_plain_over_stein_median"],
                     e["per_draw_sd_ratio_plain_over_stein_median"], e["agreement_with_plain"]["max_abs_z"]))
    return rows, t["stein_statistics_s"] / max(t["sampling_s"], 1e-9), s["diagnostics"]["rhat_max"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fwmc", default=os.path.join(HERE, "..", "build", "fwmc"))
    ap.add_argument("--acts", default="relu,erf,tanh")
    ap.add_argument("--widths", default="32,128,512")
    ap.add_argument("--deep", default="128", help="widths of the deep relu [n, n] runs ('' for none)")
    ap.add_argument("--jitter", type=float, default=0.5)
    a = ap.parse_args()
    results = {}
    print(f"{'act':5s} {'widths':>10s} layer  kind               MCSE ratio  sd ratio  max|z|  Stein share  R-hat")
    with tempfile.TemporaryDirectory() as work:
        jobs = [(act, [int(w)]) for act in a.acts.split(",") for w in a.widths.split(",")]
        jobs += [("relu", [int(w), int(w)]) for w in a.deep.split(",") if w]
        for act, widths in jobs:
            rows, share, rhat = run(a.fwmc, act, widths, a.jitter, work)
            for layer, kind, ratio, sd, z in rows:
                print(f"{act:5s} {str(widths):>10s} {layer:5d}  {kind:17s}  {ratio:10.3g}  {sd:8.3g}  {z:6.2f}"
                      f"  {share:11.2f}  {rhat:.4f}", flush=True)
                results[f"{act}_{'x'.join(map(str, widths))}_l{layer}"] = ratio
    for k, v in results.items():
        print(f"stein_ratio_{k}={v:.3f}")


if __name__ == "__main__":
    main()
