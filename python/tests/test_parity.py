"""The package runs the CLI's code: the same config and seed give bitwise the same arrays and records."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import fwmc
from conftest import SMALL, SMALL_TOML, run_cli

# What legitimately differs between two runs of the same job: how long it took and how much memory it used.
VOLATILE = ("timing", "memory")


def npy_files(folder):
    return sorted(f for f in os.listdir(folder) if f.endswith(".npy"))


def assert_same_outputs(a, b, manifest="summary.json"):
    assert npy_files(a) == npy_files(b)
    for f in npy_files(a):
        with open(os.path.join(a, f), "rb") as fa, open(os.path.join(b, f), "rb") as fb:
            assert fa.read() == fb.read(), f
    ja, jb = (json.load(open(os.path.join(d, manifest))) for d in (a, b))
    for k in VOLATILE:
        ja.pop(k, None)
        jb.pop(k, None)
    # The config echo names its output folder, which differs by construction.
    for j in (ja, jb):
        j["config"]["output"].pop("dir", None)
        j.get("provenance", {}).get("config", {}).get("output", {}).pop("dir", None)
    assert ja == jb


def table_lines(report):
    """The report's measured lines: not the timing lines, nor where the files went."""
    return [l for l in report.splitlines() if "chain-steps in" not in l and "wrote " not in l
            and "estimator cost:" not in l and not l.startswith("fwmc run: fcn")]


def test_run_equals_cli_bitwise(small_cli_run, tmp_path):
    cli_out, cli_stdout = small_cli_run
    r = fwmc.run(SMALL_TOML, out=str(tmp_path / "py"), progress=False)
    assert_same_outputs(cli_out, r.out)
    assert table_lines(r.report) == table_lines(cli_stdout)
    for l, layer in enumerate(r.layers, start=1):
        assert np.array_equal(layer.mean, np.load(os.path.join(cli_out, f"K{l}_mean.npy")))
        assert np.array_equal(layer.mcse, np.load(os.path.join(cli_out, f"K{l}_mcse.npy")))
        assert np.array_equal(layer.nngp, np.load(os.path.join(cli_out, f"K{l}_nngp.npy")))
        assert np.array_equal(layer.theory, np.load(os.path.join(cli_out, f"K{l}_theory.npy")))
    summary = json.load(open(os.path.join(cli_out, "summary.json")))
    assert r.summary["layers"] == summary["layers"]
    assert list(r.traces) == [t["name"] for t in summary["diagnostics"]["traces"]]
    assert r.traces["U"].shape == (8, 150)


def test_default_config_equals_cli(tmp_path):
    # No config: the embedded default, as `fwmc run` (shortened the same way on both sides).
    _, stdout, _ = run_cli("run", "--out", str(tmp_path / "cli"), "--set", "sampler.samples=60", "--set",
                           "sampler.warmup=30", "--set", "sampler.chains=16", "--set", "sampler.groups=8")
    r = fwmc.run(out=str(tmp_path / "py"), progress=False,
                 sampler={"samples": 60, "warmup": 30, "chains": 16, "groups": 8})
    assert_same_outputs(str(tmp_path / "cli"), r.out)
    assert table_lines(r.report) == table_lines(stdout)
    assert r.summary["config"]["model"]["widths"] == [96, 96]


def test_dict_config_equals_file(small_cli_run):
    cli_out, _ = small_cli_run
    r = fwmc.run(SMALL, progress=False)  # out=None: read into memory, nothing kept
    assert r.out is None
    for l, layer in enumerate(r.layers, start=1):
        assert np.array_equal(layer.mean, np.load(os.path.join(cli_out, f"K{l}_mean.npy")))
        assert np.array_equal(layer.mcse, np.load(os.path.join(cli_out, f"K{l}_mcse.npy")))
    assert np.array_equal(np.stack(list(r.traces.values())), np.load(os.path.join(cli_out, "traces.npy")))


def test_keyword_overrides_equal_set(tmp_path):
    _, stdout, _ = run_cli("run", SMALL_TOML, "--out", str(tmp_path / "cli"), "--set", "sampler.method=mala",
                           "--set", "model.widths=[10, 14]")
    r = fwmc.run(SMALL_TOML, out=str(tmp_path / "py"), progress=False, sampler={"method": "mala"},
                 model={"widths": [10, 14]})
    assert_same_outputs(str(tmp_path / "cli"), r.out)


def test_arrays_equal_files(tmp_path):
    rng = np.random.default_rng(0)
    X, Xt = rng.normal(size=(5, 6)), rng.normal(size=(2, 6))
    y = rng.normal(size=(5, 1))
    for name, a in (("x", X), ("y", y), ("xt", Xt)):
        np.save(tmp_path / f"{name}.npy", a)
    cfg = {k: dict(v) for k, v in SMALL.items()}
    cfg["data"] = {"kind": "npy", "x": str(tmp_path / "x.npy"), "y": str(tmp_path / "y.npy"),
                   "x_test": str(tmp_path / "xt.npy"), "normalize": "center_unit"}
    from_files = fwmc.run(cfg, progress=False)
    # The arrays replace the config's files (float32 and lists are converted as a .npy of them would be).
    from_arrays = fwmc.run(cfg, data={"x": X, "y": y.tolist(), "x_test": Xt}, progress=False)
    for a, b in zip(from_files.layers, from_arrays.layers):
        assert np.array_equal(a.mean, b.mean) and np.array_equal(a.mcse, b.mcse)
        assert np.array_equal(a.theory, b.theory)
    assert from_arrays.summary["config"]["data"]["kind"] == "arrays"
    keys = [(f["key"], f["path"]) for f in from_arrays.summary["provenance"]["data_files"]]
    assert keys == [("data.x", "<array>"), ("data.y", "<array>"), ("data.x_test", "<array>")]


def test_theory_and_oracle_equal_cli(tmp_path):
    run_cli("theory", SMALL_TOML, "--out", str(tmp_path / "cli_th"))
    t = fwmc.theory(SMALL_TOML, out=str(tmp_path / "py_th"))
    assert_same_outputs(str(tmp_path / "cli_th"), t.out, "theory.json")
    assert len(t.layers) == 2 and t.layers[1].theory.shape == (5, 5)
    run_cli("oracle", SMALL_TOML, "--out", str(tmp_path / "cli_or"), "--draws", "2000")
    o = fwmc.oracle(SMALL_TOML, draws=2000, out=str(tmp_path / "py_or"))
    for f in npy_files(str(tmp_path / "cli_or")):
        assert np.array_equal(np.load(tmp_path / "cli_or" / f), np.load(os.path.join(o.out, f))), f
    assert o.summary["draws"] == 2000 and o.layers[0].mean.shape == (5, 5)


def test_sweep(tmp_path):
    s = fwmc.sweep(SMALL, [8, 16], progress=False, sampler={"samples": 60, "warmup": 30})
    assert sorted({r["width"] for r in s.rows}) == [8, 16]
    assert len(s.rows) == 4 and list(s.runs) == [(8, 0), (16, 0)]
    assert s.runs[(16, 0)].layers[0].mean.shape == (5, 5)
    assert {f["layer"] for f in s.summary["fits"]} == {1, 2}


def test_sweep_takes_arrays(tmp_path):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(4, 5)), rng.normal(size=(4, 1))
    s = fwmc.sweep(SMALL, [8, 16], data={"x": X, "y": y}, out=str(tmp_path / "sw"), progress=False,
                   sampler={"samples": 60, "warmup": 30})
    # The arrays are written once into the sweep folder (as synthetic data is) and every width reads them.
    assert np.array_equal(np.load(tmp_path / "sw" / "data_y.npy"), y)
    assert [r.summary["config"]["data"]["kind"] for r in s.runs.values()] == ["npy", "npy"]


def test_dry_run_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = fwmc.run(SMALL_TOML, dry_run=True)
    assert "fits: yes" in text
    assert not os.listdir(tmp_path)


def test_run_without_out_writes_nothing_and_equals_cli(small_cli_run, tmp_path):
    # In a fresh process whose working directory, TMPDIR and HOME are empty and read-only: results come from
    # memory. Permission bits do not bind root (as in CI), so the folders are also checked to stay empty and the
    # process's own count of bytes written (/proc/self/io) to stay near zero.
    cli_out, _ = small_cli_run
    dirs = {k: tmp_path / k for k in ("cwd", "tmp", "home")}
    for d in dirs.values():
        d.mkdir()
    script = (
        "import json, sys, numpy as np, fwmc\n"
        f"small = json.loads({json.dumps(SMALL)!r})\n"
        "r = fwmc.run(small, progress=False)\n"
        "assert r.out is None, r.out\n"
        f"assert np.array_equal(r.layers[1].mean, np.load({os.path.join(cli_out, 'K2_mean.npy')!r}))\n"
        "s = fwmc.sweep(small, [8, 12], progress=False, sampler={'samples': 30, 'warmup': 20})\n"
        "assert s.out is None and len(s.rows) == 4\n"
        "t = fwmc.theory(small)\n"
        "assert t.out is None and t.layers[0].nngp.shape == (5, 5)\n"
        # What this process wrote through any file descriptor (Linux): nothing before the 'ok' below (a run with
        # out= writes about 127 kB here).
        "import os\n"
        "if os.path.exists('/proc/self/io'):\n"
        "    io = dict(l.split(': ') for l in open('/proc/self/io').read().splitlines())\n"
        "    assert int(io['wchar']) < 4096, io\n"
        "print('ok')\n")
    for d in dirs.values():
        d.chmod(0o555)
    env = dict(os.environ, TMPDIR=str(dirs["tmp"]), HOME=str(dirs["home"]), PYTHONDONTWRITEBYTECODE="1")
    try:
        p = subprocess.run([sys.executable, "-c", script], cwd=dirs["cwd"], env=env, capture_output=True, text=True)
    finally:
        for d in dirs.values():
            d.chmod(0o755)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr
    for k, d in dirs.items():
        assert not os.listdir(d), (k, os.listdir(d))
