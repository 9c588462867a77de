#!/usr/bin/env python3
"""Wall time to a 5% (and a 0.5%) relative MCSE on the layer-1 correction ||<K_1> - K^(0)_1||: fwmc vs the original
protocol.

Problem: deep linear fcn, widths [64, 64], P = 16 training inputs (n0 = 10, centred and scaled to unit Euclidean norm
as the original code does, G_aa = 1/n0), n_d = 2 one-hot targets (two classes from a random linear teacher),
beta = 1, all prior stds 1.

fwmc: HMC with 64 chains, warm-up 300, 8 leapfrog steps (the defaults a user starts from). A pilot run (200 draws
per chain, both estimators on the same draws) gives each estimator's relative MCSE; the draws for a target follow
from MCSE ~ 1/sqrt(draws) (x1.3 margin), and a run with that many draws (at least 20 per chain, so that R-hat and
ESS mean something) is timed as a whole process (start-up, warm-up, theory, output), for the Stein and the plain
estimator under the same choice of chains and warm-up. At 5% the 300 warm-up iterations dominate both; 0.5%
shows the estimators apart.

Original protocol, as the paper's code ran it: one chain, full-batch unadjusted Langevin with the fixed step
dt = 1e-4, burn-in a third of the run, every step after it recorded, float64, in JAX (jit + lax.scan). The run
is measured for --budget seconds; its relative MCSE (32 batch means of the recorded steps, projected on the
direction of the correction) gives the time to each target by the 1/sqrt(time) law. That time is an extrapolation and is
printed as one. Independent Gaussian noise per weight matrix (not the original's shared-key noise, see
docs/original_code.md), which can only help it.

usage: bench/time_to_answer.py [--fwmc build/fwmc] [--budget 180] [--out DIR]
Needs numpy and jax: without them it creates build/bench-venv (pip install numpy jax) and reruns itself there.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

TARGETS = (0.05, 0.005)
MIN_DRAWS = 20
P, N0, ND, WIDTH, BETA, DT = 16, 10, 2, 64, 1.0, 1e-4


def ensure_python_deps():
    try:
        import jax  # noqa: F401
        import numpy  # noqa: F401
    except ImportError:
        venv = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "bench-venv")
        py = os.path.join(venv, "bin", "python")
        if os.path.abspath(sys.executable) == os.path.abspath(py):
            raise
        if not os.path.exists(py):
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
            subprocess.run([py, "-m", "pip", "install", "-q", "numpy", "jax"], check=True)
        os.execv(py, [py] + sys.argv)


def make_data(d, np):
    """Inputs as the original preprocesses images (centred, unit Euclidean norm: G_aa = 1/n0), one-hot targets of
    two classes given by a random linear teacher."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((P, N0))
    X -= X.mean(axis=1, keepdims=True)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    w = rng.standard_normal(N0)
    cls = (X @ w > 0).astype(int)
    Y = np.eye(ND)[cls]
    np.save(f"{d}/x.npy", X)
    np.save(f"{d}/y.npy", Y)
    with open(f"{d}/c.toml", "w") as f:
        f.write(f"""[data]
kind = "npy"
x = "x.npy"
y = "y.npy"
[model]
arch = "fcn"
widths = [{WIDTH}, {WIDTH}]
activation = "linear"
[posterior]
beta = {BETA}
[sampler]
method = "hmc"
chains = 64
warmup = 300
step_size = 0.05
leapfrog_steps = 8
groups = 32
device = "cpu"
""")
    return X, Y


def rel_mcse(np, out, prefix):
    """||mean - K0|| and its delta-method SE from an output folder's arrays (prefix K1 or K1_plain)."""
    m, se, k0 = (np.load(f"{out}/{n}.npy") for n in (f"{prefix}_mean", f"{prefix}_mcse", "K1_nngp"))
    d = m - k0
    norm = np.linalg.norm(d)
    return norm, math.sqrt(((d / norm * se) ** 2).sum()) / norm


def fwmc_run(fwmc, d, tag, samples, estimator):
    """One timed `fwmc run` (the whole process) of the problem with this many draws per chain."""
    out = f"{d}/{tag}"
    cmd = [fwmc, "run", f"{d}/c.toml", "--out", out, "--force", "--set", f"sampler.samples={samples}",
           "--set", f"output.estimator=\"{estimator}\""]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    s = json.load(open(f"{out}/summary.json"))
    return out, wall, s


def original_protocol(np, X, Y, budget, u, K0):
    """One chain of full-batch ULA at dt = 1e-4 in JAX float64. u: unit direction of the correction."""
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    Xj, Yj, uj, K0j = (jnp.asarray(a, jnp.float64) for a in (X, Y, u, K0))

    def U(th):
        W1, W2, W3 = th
        f = ((Xj @ W1 / jnp.sqrt(N0)) @ W2 / jnp.sqrt(WIDTH)) @ W3 / jnp.sqrt(WIDTH)
        return 0.5 * BETA * jnp.sum((f - Yj) ** 2) + 0.5 * sum(jnp.sum(w**2) for w in th)

    grad = jax.grad(U)

    def step(th, key):
        keys = jax.random.split(key, 3)
        g = grad(th)
        return tuple(t - DT * gi + jnp.sqrt(2 * DT) * jax.random.normal(k, t.shape, jnp.float64)
                     for t, gi, k in zip(th, g, keys))

    chunk = 2000

    @jax.jit
    def burn(th, key):
        return jax.lax.scan(lambda t, k: (step(t, k), None), th, jax.random.split(key, chunk))[0]

    @jax.jit
    def record(th, key):  # every step: K_1 into the running sum, its projection on u for the MCSE
        def body(carry, k):
            t, ksum = carry
            t = step(t, k)
            h1 = Xj @ t[0] / jnp.sqrt(N0)
            K = h1 @ h1.T / WIDTH
            return (t, ksum + K), jnp.sum(uj * (K - K0j))
        (th, ksum), proj = jax.lax.scan(body, (th, jnp.zeros_like(K0j)), jax.random.split(key, chunk))
        return th, ksum, proj

    key = jax.random.PRNGKey(0)
    k0, k1, k2, key = jax.random.split(key, 4)
    th = (jax.random.normal(k0, (N0, WIDTH), jnp.float64), jax.random.normal(k1, (WIDTH, WIDTH), jnp.float64),
          jax.random.normal(k2, (WIDTH, ND), jnp.float64))
    jax.block_until_ready(burn(th, key))
    jax.block_until_ready(record(th, key))  # compile both before timing
    t0 = time.perf_counter()
    th = jax.block_until_ready(burn(th, key))
    speed = chunk / (time.perf_counter() - t0)  # steps per second
    total = max(3, int(speed * budget / chunk)) * chunk
    burn_chunks = total // chunk // 3
    t0 = time.perf_counter()
    for i in range(burn_chunks):
        th = burn(th, jax.random.fold_in(key, i))
    ksum, projs = np.zeros_like(K0), []
    for i in range(burn_chunks, total // chunk):
        th, ks, pr = record(th, jax.random.fold_in(key, i))
        ksum += np.asarray(ks)
        projs.append(np.asarray(pr))
    wall = time.perf_counter() - t0
    proj = np.concatenate(projs)
    B = 32
    bm = proj[: len(proj) // B * B].reshape(B, -1).mean(1)
    se = bm.std(ddof=1) / math.sqrt(B)
    # Integrated autocorrelation time from the batch means: var(batch mean) * batch length / var(step).
    tau = bm.var(ddof=1) * (len(proj) // B) / proj.var()
    norm = np.linalg.norm(ksum / len(proj) - K0)
    return {"steps": total, "recorded": len(proj), "wall": wall, "se": se, "norm": norm, "tau": tau,
            "backend": f"JAX {jax.__version__} (CPU, float64)"}


def main():
    ensure_python_deps()
    import numpy as np
    ap = argparse.ArgumentParser()
    ap.add_argument("--fwmc", default="build/fwmc")
    ap.add_argument("--budget", type=float, default=180.0, help="seconds of the original protocol's run")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    d = a.out or tempfile.mkdtemp(prefix="fwmc_tta_")
    os.makedirs(d, exist_ok=True)
    X, Y = make_data(d, np)
    # Pilot (both estimators on the same 200 draws per chain), then for each target the draws each one needs.
    pilot, _, _ = fwmc_run(a.fwmc, d, "pilot", 200, "both")
    rel200 = {e: rel_mcse(np, pilot, p)[1] for e, p in (("stein", "K1"), ("plain", "K1_plain"))}
    rows = []
    for target in TARGETS:
        for est in ("stein", "plain"):
            n = max(MIN_DRAWS, math.ceil(200 * (rel200[est] / target) ** 2 * 1.3))
            out, wall, s = fwmc_run(a.fwmc, d, f"{est}_{target}", n, est)
            norm, rel = rel_mcse(np, out, "K1")
            rows.append({"target": target, "est": est, "draws": n, "wall": wall, "rel": rel, "norm": norm,
                         "rhat": s["diagnostics"]["rhat_max"], "out": out})
    ref = rows[-2]  # Stein at the tightest target: the reference correction
    norm_ref = ref["norm"]
    K0 = np.load(f"{ref['out']}/K1_nngp.npy")
    u = (np.load(f"{ref['out']}/K1_mean.npy") - K0) / norm_ref
    o = original_protocol(np, X, Y, a.budget, u, K0)
    rel_orig = o["se"] / norm_ref
    th = json.load(open(f"{ref['out']}/theory.json"))["theory"]["layers"][0]["frob_dK_th"]
    print(f"time to a relative MCSE on ||<K_1> - K0_1|| (deep linear [64, 64], P = 16, n0 = 10, n_d = 2, beta = 1, "
          f"G_aa = 1/n0); load average {os.getloadavg()[0]:.2f}")
    print(f"{'protocol':<58} {'target':>7} {'draws':>10} {'wall s':>10} {'rel MCSE':>9} {'||dK_1||':>9} {'R-hat':>7}")
    for r in rows:
        name = f"fwmc HMC + {r['est']}, 64 chains, warm-up 300 (measured)"
        print(f"{name:<58} {r['target']:>7.1%} {r['draws'] * 64:>10} {r['wall']:>10.1f} {r['rel']:>9.4f} "
              f"{r['norm']:>9.4f} {r['rhat']:>7.3f}")
    print(f"{'original: 1 chain ULA dt=1e-4, ' + o['backend'] + ' (measured)':<58} {'':>7} {o['recorded']:>10} "
          f"{o['wall']:>10.1f} {rel_orig:>9.4f} {o['norm']:>9.4f}")
    # A target needs (rel / target)^2 times the recorded steps, and burn-in stays a third of the run: the whole
    # measured run (burn-in + recording) scales by the same factor.
    t_orig = {t: o["wall"] * (rel_orig / t) ** 2 for t in TARGETS}
    for t in TARGETS:
        print(f"{'original, EXTRAPOLATED (MCSE ~ 1/sqrt(time))':<58} {t:>7.1%} {'':>10} {t_orig[t]:>10.3g}")
    print(f"original: {o['steps']} steps ({o['steps'] - o['recorded']} burn-in), integrated autocorrelation of the "
          f"projected K_1 ~ {o['tau']:.0f} steps; theory ||dK_th,1|| = {th:.4f}")
    print(f"MCSE ratio plain/stein on the same 200 draws per chain: {rel200['plain'] / rel200['stein']:.1f}")
    for r in rows:
        print(f"time_to_answer_ratio_{r['est']}_{r['target']:g}={t_orig[r['target']] / r['wall']:.0f}")

if __name__ == "__main__":
    sys.exit(main())
