"""Shared fixtures: the CLI to compare with, the environment it runs in, a small config as file and as dict."""
import os
import subprocess

# The environment before fwmc is imported (the package sets the BLAS and OpenMP variables for this process, as
# the CLI does for itself when it starts): the CLI gets the user's environment, not the package's.
ORIGINAL_ENV = dict(os.environ)

import pytest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SMALL_TOML = os.path.join(HERE, "data", "small.toml")
SMALL = {
    "data": {"kind": "synthetic", "n_train": 4, "n_test": 1, "input_dim": 5, "seed": 3, "noise": 0.3,
             "normalize": "center_unit"},
    "model": {"arch": "fcn", "widths": [12, 12], "activation": "linear", "sigma": 1.0},
    "posterior": {"beta": 2.0},
    "sampler": {"method": "hmc", "chains": 8, "warmup": 60, "samples": 150, "step_size": 0.05,
                "leapfrog_steps": 4, "groups": 8, "seed": 5},
}


def cli_path():
    path = os.environ.get("FWMC_CLI")
    if not path:
        here = os.path.join(HERE, "..", "..", "build", "fwmc")
        path = here if os.path.exists(here) else "fwmc"
    return path


def run_cli(*args, check=True):
    """Runs the fwmc CLI in the user's environment; returns (returncode, stdout, stderr)."""
    p = subprocess.run([cli_path(), *args], env=ORIGINAL_ENV, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"fwmc {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p.returncode, p.stdout, p.stderr


@pytest.fixture(scope="session")
def small_cli_run(tmp_path_factory):
    """`fwmc run small.toml` once for the session: its folder and stdout."""
    out = str(tmp_path_factory.mktemp("cli") / "run")
    _, stdout, _ = run_cli("run", SMALL_TOML, "--out", out)
    return out, stdout
