"""fwmc: finite-width Monte Carlo from Python.

    import fwmc
    r = fwmc.run()                                   # the embedded default config (as `fwmc run`)
    r = fwmc.run("configs/relu_stein.toml", sampler={"chains": 32}, out="relu_out")
    r = fwmc.run({"model": {"widths": [64]}, "data": {"kind": "synthetic", "n_train": 4}})
    r = fwmc.run(cfg, data={"x": X, "y": y, "x_test": Xt})
    r.layers[0].mean, r.layers[0].mcse, r.layers[0].nngp, r.layers[0].theory    # hidden layer 1
    r.traces["U"], r.summary["diagnostics"], r.to_arviz()

Every function runs the job the command of the same name runs (the results are bitwise those of the CLI on the
same config), validates its input the same way (bad input raises ValueError naming the key, and nothing is
written), releases the GIL while it works, and stops cleanly on Ctrl-C (KeyboardInterrupt).

Config: a TOML path, a dict {section: {key: value}} with the keys of docs/configuration.md, or None (the
embedded default). Overrides: one keyword per section, e.g. sampler={"method": "mala"} (the CLI's --set).
Outputs: the arrays come back in memory; with out=None nothing is written anywhere, with out="dir" the files
are written there as with --out.
"""
from __future__ import annotations

import os
import subprocess
import sys


def _tune_runtime() -> None:
    """What `fwmc` does by re-executing itself, done before the native module loads OpenBLAS and OpenMP (which
    read these variables when they load): OpenBLAS kernels for the instruction set where it chose weaker ones
    (FWMC_BLAS_CORETYPE = auto | keep | always, as for the CLI), and sleeping idle OpenMP threads."""
    if os.environ.get("FWMC_RUNTIME_TUNED"):
        return
    os.environ["FWMC_RUNTIME_TUNED"] = "1"
    mode = os.environ.get("FWMC_BLAS_CORETYPE", "auto")
    if mode not in ("auto", "keep", "always"):
        raise ImportError(f"fwmc: FWMC_BLAS_CORETYPE={mode[:40]}: expected auto, keep or always")
    if mode == "always" or (mode == "auto" and not os.environ.get("OPENBLAS_CORETYPE")):
        # The BLAS's own choice is only known once it is loaded, and then it is final: ask a child process.
        probe = subprocess.run(
            [sys.executable, "-c", "from fwmc import _fwmc; print(*_fwmc.blas_core_correction())"],
            env={k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"},
            capture_output=True, text=True, check=False)
        words = probe.stdout.split() if probe.returncode == 0 else []
        if len(words) == 2:  # the BLAS's choice, and the core type to force instead
            os.environ["FWMC_BLAS_SELECTED"], os.environ["OPENBLAS_CORETYPE"] = words
    elif os.environ.get("OPENBLAS_CORETYPE") and not os.environ.get("FWMC_BLAS_SELECTED"):
        # Kernels named in the environment may need instructions this CPU lacks: the BLAS would then kill the
        # interpreter (SIGILL) at its first product. A child process tries them first, as `fwmc` does.
        probe = subprocess.run(
            [sys.executable, "-c", "from fwmc import _fwmc; print(_fwmc.blas_kernels_problem())"],
            capture_output=True, text=True, check=False)
        why = probe.stdout.strip() if probe.returncode == 0 else f"the BLAS probe failed: {probe.stderr.strip()}"
        if why:
            raise ImportError(f"fwmc: {why}")
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")


_tune_runtime()

from . import _fwmc  # noqa: E402  (after the environment is set)
from .api import oracle, run, sweep, theory, version  # noqa: E402
from .results import Layer, OracleResult, RunResult, SweepResult, TheoryResult  # noqa: E402

__version__ = _fwmc.__version__
__all__ = ["run", "theory", "oracle", "sweep", "version", "Layer", "RunResult", "TheoryResult", "OracleResult",
           "SweepResult", "__version__"]
