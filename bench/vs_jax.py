#!/usr/bin/env python3
"""fwmc against the same model in JAX + BlackJAX on this CPU: chain-steps per second, interleaved runs.

The BlackJAX program is written as its users write it: float32, `jit` + `vmap` over the chains, `blackjax.hmc`
with 8 leapfrog steps at the config's step size (0.05; no tuning), one `lax.scan` over the iterations, and the
layer kernels K_l = h_l h_l^T / n_l of every input (training and test) accumulated per chain on every kept draw.
fwmc runs the same model, data sizes, chains, iterations and accumulation (HMC, float, `output.estimator =
"plain"`, the work the BlackJAX program does; fwmc's default Stein estimator adds one backward pass per draw).

Problems (the issue's):
  default  configs/default.toml: deep linear fcn [96, 96], P = 6 (+2 test), n0 = 10, n_d = 1, 64 chains
  large    deep linear fcn [512, 512], P = 256, n0 = 100, n_d = 10, 8 chains
Each is run 3 times, fwmc and BlackJAX interleaved, with 2 threads (taskset 0,1) and with 1 (taskset 0;
OMP_NUM_THREADS=1 for fwmc, one XLA intra-op thread for JAX). fwmc's rate is its own sampling rate from
summary.json (warm-up included, start-up and theory excluded); BlackJAX's is the second call of the jitted
program (compilation excluded). The load average is printed beside every pair.

fwmc evaluates U and grad U of these linear nets through the weight product (docs/theory.md 10), as it does by
default; `--evaluation layers` makes it go through the activations as the BlackJAX program does (the same
arithmetic, to compare the implementations rather than the algorithms).

usage: bench/vs_jax.py [--fwmc build/fwmc] [--repeats 3] [--problems default,large] [--threads 2,1]
                       [--evaluation auto|layers] [--baseline OTHER_FWMC [--no-jax]]
--baseline runs a second fwmc build (e.g. the previous main's) in the same interleaved rounds and prints the median
ratio of this build's rate to it (vs_baseline_ratio_<problem>_<threads>t); --no-jax leaves BlackJAX out.
Needs numpy, jax and blackjax: without them it creates build/bench-venv and reruns itself there.
Last lines: vs_jax_ratio_<problem>_<threads>t=<median fwmc / BlackJAX>
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

PROBLEMS = {
    # name: (P, P_test, n0, widths, n_d, chains, warmup, samples)
    "default": (6, 2, 10, [96, 96], 1, 64, 300, 1000),
    "large": (256, 0, 100, [512, 512], 10, 8, 20, 60),
}


def ensure_python_deps():
    try:
        import blackjax  # noqa: F401
        import jax  # noqa: F401
        import numpy  # noqa: F401
    except ImportError:
        venv = os.path.join(HERE, "..", "build", "bench-venv")
        py = os.path.join(venv, "bin", "python")
        if os.path.abspath(sys.executable) == os.path.abspath(py):
            raise
        if not os.path.exists(py):
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([py, "-m", "pip", "install", "-q", "numpy", "jax", "blackjax"], check=True)
        os.execv(py, [py] + sys.argv)


def fwmc_config(name, evaluation="auto"):
    P, Pt, n0, widths, nd, chains, warmup, samples = PROBLEMS[name]
    return f"""[data]
kind = "synthetic"
n_train = {P}
n_test = {Pt}
input_dim = {n0}
output_dim = {nd}
targets = "noise"
normalize = "center_unit"
[model]
widths = {widths}
activation = "linear"
evaluation = "{evaluation}"
[posterior]
beta = 2.0
[sampler]
method = "hmc"
chains = {chains}
groups = {chains // 2}
warmup = {warmup}
samples = {samples}
step_size = 0.05
leapfrog_steps = 8
precision = "float"
[output]
estimator = "plain"
"""


def run_fwmc(fwmc, name, threads, work, evaluation):
    out = os.path.join(work, f"fwmc_{name}_{threads}_{time.time_ns()}")
    cfg = os.path.join(work, f"{name}.toml")
    with open(cfg, "w") as f:
        f.write(fwmc_config(name, evaluation))
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cpus = "0" if threads == 1 else "0,1"
    subprocess.run(["taskset", "-c", cpus, fwmc, "run", cfg, "--out", out], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)
    return s["timing"]["chain_steps_per_s"], s.get("cpu", {}).get("blas_kernels", "?")


JAX_PROGRAM = r'''
import sys, time, json
import numpy as np
import jax, jax.numpy as jnp
import blackjax
P, Pt, n0, widths, nd, chains, warmup, samples = json.loads(sys.argv[1])
rng = np.random.default_rng(1)
X = rng.standard_normal((P + Pt, n0))
X -= X.mean(axis=1, keepdims=True)
X *= np.sqrt(n0) / np.linalg.norm(X, axis=1, keepdims=True)
Y = rng.standard_normal((P, nd))
X = jnp.asarray(X, jnp.float32)
Y = jnp.asarray(Y, jnp.float32)
sizes = [n0] + widths + [nd]
beta = 2.0

def features(Ws):
    h, hs = X, []
    for W in Ws[:-1]:
        h = h @ W / jnp.sqrt(h.shape[1]).astype(jnp.float32)
        hs.append(h)
    f = h @ Ws[-1] / jnp.sqrt(h.shape[1]).astype(jnp.float32)
    return hs, f

def logdensity(Ws):
    _, f = features(Ws)
    return -0.5 * beta * jnp.sum((f[:P] - Y) ** 2) - 0.5 * sum(jnp.sum(W * W) for W in Ws)

hmc = blackjax.hmc(logdensity, step_size=0.05, inverse_mass_matrix=jnp.ones(sum(a * b for a, b in zip(sizes, sizes[1:])), jnp.float32),
                   num_integration_steps=8)

def one_chain(key):
    keys = jax.random.split(key, len(sizes))
    Ws = [jax.random.normal(k, (a, b), jnp.float32) for k, a, b in zip(keys[1:], sizes, sizes[1:])]
    state = hmc.init(Ws)
    K0 = [jnp.zeros((P + Pt, P + Pt), jnp.float32) for _ in widths]
    def body(carry, it):
        state, K, key = carry
        key, sub = jax.random.split(key)
        state, info = hmc.step(sub, state)
        hs, _ = features(state.position)
        keep = (it >= warmup).astype(jnp.float32)
        K = [k + keep * (h @ h.T) / h.shape[1] for k, h in zip(K, hs)]
        return (state, K, key), info.acceptance_rate
    (state, K, _), acc = jax.lax.scan(body, (state, K0, keys[0]), jnp.arange(warmup + samples))
    return K, acc.mean()

run = jax.jit(jax.vmap(one_chain))
keys = jax.random.split(jax.random.PRNGKey(0), chains)
jax.block_until_ready(run(keys))  # compile
t = time.perf_counter()
K, acc = jax.block_until_ready(run(keys))
dt = time.perf_counter() - t
print(json.dumps({"chain_steps_per_s": chains * (warmup + samples) / dt, "accept": float(acc.mean())}))
'''


def run_jax(name, threads, work):
    prog = os.path.join(work, "blackjax_program.py")
    with open(prog, "w") as f:
        f.write(JAX_PROGRAM)
    env = dict(os.environ)
    if threads == 1:
        env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    cpus = "0" if threads == 1 else "0,1"
    out = subprocess.run(["taskset", "-c", cpus, sys.executable, prog, json.dumps(PROBLEMS[name])], check=True, env=env,
                         capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return r["chain_steps_per_s"], r["accept"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fwmc", default=os.path.join(HERE, "..", "build", "fwmc"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--problems", default="default,large")
    ap.add_argument("--threads", default="2,1")
    ap.add_argument("--evaluation", default="auto",
                    help="fwmc's [model] evaluation: auto (the weight product for these linear nets) or layers "
                         "(through the activations, as the BlackJAX program computes)")
    ap.add_argument("--baseline", help="another fwmc binary, run interleaved; prints this build's rate over its")
    ap.add_argument("--no-jax", action="store_true", help="with --baseline: leave BlackJAX out")
    a = ap.parse_args()
    jax_too = not (a.no_jax and a.baseline)
    if jax_too:
        ensure_python_deps()
        import jax
        import blackjax
        print(f"jax {jax.__version__}, blackjax {blackjax.__version__}", end="; ")
    print(f"{os.cpu_count()} CPUs; "
          f"fwmc: {subprocess.run([a.fwmc, '--version'], capture_output=True, text=True).stdout.splitlines()[-4:-1]}")
    results, vs_base = {}, {}
    with tempfile.TemporaryDirectory() as work:
        for name in a.problems.split(","):
            for threads in [int(t) for t in a.threads.split(",")]:
                ratios, base_ratios = [], []
                for rep in range(a.repeats):
                    load = os.getloadavg()[0]
                    f, kernel = run_fwmc(a.fwmc, name, threads, work, a.evaluation)
                    line = f"{name:8s} {threads}t run {rep + 1}: fwmc {f:10.4g}"
                    if a.baseline:
                        b, _ = run_fwmc(a.baseline, name, threads, work, a.evaluation)
                        base_ratios.append(f / b)
                        line += f"  baseline {b:10.4g}  ratio {f / b:6.3f}"
                    if jax_too:
                        j, acc = run_jax(name, threads, work)
                        ratios.append(f / j)
                        line += f"  BlackJAX {j:10.4g} chain-steps/s (accept {acc:.2f})  ratio {f / j:6.2f}"
                    print(f"{line}  load {load:.2f}  BLAS kernels {kernel}", flush=True)
                if ratios:
                    results[(name, threads)] = statistics.median(ratios)
                if base_ratios:
                    vs_base[(name, threads)] = statistics.median(base_ratios)
    suffix = "" if a.evaluation == "auto" else f" (evaluation = {a.evaluation})"
    for (name, threads), r in results.items():
        print(f"vs_jax_ratio_{name}_{threads}t={r:.3f}{suffix}")
    for (name, threads), r in vs_base.items():
        print(f"vs_baseline_ratio_{name}_{threads}t={r:.3f}{suffix}")


if __name__ == "__main__":
    main()
