"""Every bad input raises ValueError naming the key (or argument) and value, and writes nothing."""
import os

import numpy as np
import pytest

import fwmc
from conftest import SMALL, SMALL_TOML


def with_(section, **kv):
    cfg = {k: dict(v) for k, v in SMALL.items()}
    cfg.setdefault(section, {}).update(kv)
    return cfg


X = np.ones((4, 5)) + np.arange(20).reshape(4, 5) % 3
Y = np.arange(4.0).reshape(4, 1)

CASES = [
    # (call, words the message must contain)
    (lambda o: fwmc.run(with_("sampler", chainz=3), out=o), ["[sampler]", "chainz"]),
    (lambda o: fwmc.run(with_("sampler", method="gibbs"), out=o), ["[sampler] method", "gibbs"]),
    (lambda o: fwmc.run(with_("model", widths=[0, 4]), out=o), ["[model] widths", "0"]),
    (lambda o: fwmc.run(with_("posterior", beta=-1.0), out=o), ["[posterior] beta", "-1"]),
    (lambda o: fwmc.run(with_("sampler", chains="many"), out=o), ["[sampler] chains", "many"]),
    (lambda o: fwmc.run(with_("sampler", chains={1, 2}), out=o), ["[sampler] chains"]),
    (lambda o: fwmc.run(with_("sampler", step={"a": 1}), out=o), ["[sampler] step", "nested"]),
    (lambda o: fwmc.run({"chains": 4}, out=o), ["'chains'", "section"]),
    (lambda o: fwmc.run({"nonsense": {"a": 1}}, out=o), ["nonsense"]),
    (lambda o: fwmc.run(42, out=o), ["config", "int"]),
    (lambda o: fwmc.run(SMALL_TOML, out=o, sampler={"nope": 1}), ["sampler", "nope"]),
    (lambda o: fwmc.run(SMALL_TOML, out=o, sampler=3), ["sampler=3", "dict"]),
    (lambda o: fwmc.run("/no/such/config.toml", out=o), ["/no/such/config.toml"]),
    (lambda o: fwmc.run(SMALL, out=o, data={"x": X}), ["data", "y"]),
    (lambda o: fwmc.run(SMALL, out=o, data={"x": X, "y": Y, "z": X}), ["data", "'z'"]),
    (lambda o: fwmc.run(SMALL, out=o, data={"x": np.where(X > 1, np.nan, X), "y": Y}), ["data.x (array)", "nan"]),
    (lambda o: fwmc.run(SMALL, out=o, data={"x": X, "y": Y[:3]}), ["data.y (array)"]),
    (lambda o: fwmc.run(SMALL, out=o, data={"x": np.ones(4), "y": Y}), ["data.x (array)", "rank"]),
    (lambda o: fwmc.run(SMALL, out=o, data={"x": np.array(["a"] * 20).reshape(4, 5), "y": Y}), ["data['x']"]),
    (lambda o: fwmc.run(SMALL, out=o, data=X), ["data", "dict"]),
    (lambda o: fwmc.run(SMALL, out=o, progress="loud"), ["progress", "loud"]),
    (lambda o: fwmc.run(with_("data", kind="arrays"), out=o), ["kind = \"arrays\"", "in memory"]),
    (lambda o: fwmc.run(SMALL, out=o, sampler={"device": "cuda"}) if not fwmc.version().count("CUDA devices: 0") == 0
     else (_ for _ in ()).throw(ValueError("cuda device present: case skipped")), ["cuda"]),
    (lambda o: fwmc.theory(with_("theory", method="exact"), out=o), ["[theory] method", "exact"]),
    (lambda o: fwmc.oracle(SMALL, draws=-5, out=o), ["draws", "-5"]),
    (lambda o: fwmc.sweep(SMALL, [16], out=o), ["widths"]),
    (lambda o: fwmc.sweep(SMALL, "16,32", out=o), ["widths", "16,32"]),
    (lambda o: fwmc.sweep(SMALL, [16, 32], repeats=0, out=o), ["repeats"]),
    # the hostile battery's classes (#30): more targets than inputs, no output columns, no rows (it crashed)
    (lambda o: fwmc.run(SMALL, out=o, data={"x": X, "y": np.arange(5.0).reshape(5, 1)}),
     ["data.y (array)", "5 rows"]),
    (lambda o: fwmc.run(SMALL, out=o, data={"x": X, "y": np.zeros((4, 0))}), ["data.y (array)", "no output columns"]),
    (lambda o: fwmc.run(SMALL, out=o, data={"x": np.zeros((0, 5)), "y": np.zeros((0, 1))}),
     ["data.x (array)", "no rows"]),
    (lambda o: fwmc.run(with_("data", normalize="none"), out=o, data={"x": X * 1e-160, "y": Y}),
     ["data.x (array)", "x.x / n0"]),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_bad_input_raises_value_error_and_writes_nothing(case, tmp_path):
    call, words = CASES[case]
    out = str(tmp_path / "out")
    with pytest.raises(ValueError) as e:
        call(out)
    msg = str(e.value)
    for w in words:
        assert w in msg, (w, msg)
    assert "\n" not in msg.strip()
    assert not os.path.exists(out), os.listdir(out)


def test_a_non_empty_output_folder_is_refused_without_force(tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    with pytest.raises(ValueError, match="force"):
        fwmc.run(SMALL, out=str(out), progress=False)
    assert os.listdir(out) == ["mine.txt"]
