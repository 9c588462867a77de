"""The package itself: versions agree, the stubs cover the native module, every public function is documented,
and the tqdm progress bar works."""
import inspect
import os
import re

import pytest

import fwmc
from fwmc import _fwmc
from conftest import SMALL

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def test_versions_agree():
    cmake = open(os.path.join(ROOT, "CMakeLists.txt")).read()
    pyproject = open(os.path.join(ROOT, "pyproject.toml")).read()
    v = re.search(r"project\(fwmc VERSION ([0-9.]+)", cmake).group(1)
    assert re.search(r'^version = "([0-9.]+)"', pyproject, re.M).group(1) == v
    assert fwmc.__version__ == v
    assert fwmc.version().startswith(f"fwmc {v}\n")


def test_stubs_cover_the_native_module():
    stub = open(os.path.join(os.path.dirname(fwmc.__file__), "_fwmc.pyi")).read()
    stubbed = set(re.findall(r"^def (\w+)\(", stub, re.M))
    native = {n for n in dir(_fwmc) if not n.startswith("_") and callable(getattr(_fwmc, n))}
    assert stubbed == native


def test_public_functions_are_documented_and_typed():
    for name in ("run", "theory", "oracle", "sweep", "version"):
        f = getattr(fwmc, name)
        assert f.__doc__ and len(f.__doc__) > 40, name
        assert inspect.signature(f).return_annotation is not inspect.Signature.empty, name
    assert os.path.exists(os.path.join(os.path.dirname(fwmc.__file__), "py.typed"))


def test_tqdm_progress_bar(capsys):
    if os.environ.get("FWMC_REQUIRE_ARVIZ") != "1":
        pytest.importorskip("tqdm")
    fwmc.run(SMALL, progress=True)
    err = capsys.readouterr().err
    assert "sampling" in err and "210/210" in err


def run_example(doc, tmp_path, monkeypatch, **replace):
    """Runs the first Python example of a Markdown file as written, but for the given replacements (shorter runs)."""
    text = open(os.path.join(ROOT, doc)).read()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    for old, repl in replace.items():
        assert old in code, (doc, old)
        code = code.replace(old, repl)
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(compile(code, doc, "exec"), scope)
    return scope


SHORT_RUN = "r = fwmc.run(progress=False, sampler={'samples': 40, 'warmup': 20})"


def test_the_readme_example_runs(tmp_path, monkeypatch):
    sweep = os.path.join(ROOT, "configs", "sweep_linear.toml")
    scope = run_example("README.md", tmp_path, monkeypatch, **{
        "r = fwmc.run()": SHORT_RUN,
        '"configs/sweep_linear.toml", [16, 32, 64]': f"{sweep!r}, [16, 32], progress=False, "
                                                      "sampler={'samples': 40, 'warmup': 20, 'chains': 16, 'groups': 8}"})
    assert scope["k2"].mean.shape == (8, 8) and scope["r"].out is None
    assert sorted({row["width"] for row in scope["s"].rows}) == [16, 32]
    assert os.path.exists(tmp_path / "sweep_out" / "sweep.csv")
    assert scope["idata"].posterior.sizes["draw"] == 40


def test_the_python_docs_example_runs(tmp_path, monkeypatch):
    # docs/python.md's notebook example, on a shorter run of the same config (matplotlib without a display).
    pytest.importorskip("matplotlib") if os.environ.get("FWMC_REQUIRE_ARVIZ") != "1" else None
    import matplotlib
    matplotlib.use("Agg")
    scope = run_example("docs/python.md", tmp_path, monkeypatch, **{"r = fwmc.run()": SHORT_RUN})
    assert os.path.getsize(tmp_path / "correction_vs_theory.png") > 10_000
    assert scope["idata"].posterior.sizes["draw"] == 40
