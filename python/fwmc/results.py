"""Result objects: the arrays and JSON records an fwmc command writes (README "Outputs"), read into memory."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np


def _load(folder: str, name: str) -> Optional[np.ndarray]:
    path = os.path.join(folder, name)
    return np.load(path) if os.path.exists(path) else None


def _json(folder: str, name: str) -> dict:
    with open(os.path.join(folder, name)) as f:
        return json.load(f)


@dataclass
class Layer:
    """Hidden layer `layer` (numbered from 1) of a run: kernels indexed training inputs, then test inputs;
    fcn (N, N), cnn (N, N, D, D)."""

    layer: int
    mean: np.ndarray  #: posterior mean kernel (the run's estimator: Stein or plain)
    mcse: np.ndarray  #: its Monte Carlo standard error, entry by entry
    nngp: np.ndarray  #: the infinite-width (NNGP) kernel
    theory: Optional[np.ndarray]  #: NNGP + leading-order 1/width correction (None where there is no theory)
    theory_se: Optional[np.ndarray] = None  #: the theory's own standard error where it is Monte Carlo
    plain_mean: Optional[np.ndarray] = None  #: with estimator "both": the plain average of the same draws
    plain_mcse: Optional[np.ndarray] = None
    summary: dict = field(default_factory=dict)  #: this layer's record in summary.json

    @property
    def correction(self) -> np.ndarray:
        """The measured finite-width correction, mean - NNGP."""
        return self.mean - self.nngp

    @property
    def theory_correction(self) -> Optional[np.ndarray]:
        """The predicted correction, theory - NNGP."""
        return None if self.theory is None else self.theory - self.nngp


def _layers(folder: str, records: list, depth: int, sampled: bool) -> list:
    out = []
    for l in range(1, depth + 1):
        k = f"K{l}"
        rec = next((r for r in records if r.get("layer") == l), {})
        out.append(
            Layer(layer=l,
                  mean=_load(folder, f"{k}_mean.npy") if sampled else None,
                  mcse=_load(folder, f"{k}_mcse.npy") if sampled else None,
                  nngp=_load(folder, f"{k}_nngp.npy"),
                  theory=_load(folder, f"{k}_theory.npy"),
                  theory_se=_load(folder, f"{k}_theory_se.npy"),
                  plain_mean=_load(folder, f"{k}_plain_mean.npy"),
                  plain_mcse=_load(folder, f"{k}_plain_mcse.npy"),
                  summary=rec))
    return out


@dataclass(repr=False)
class _Result:
    """What every command returns: its JSON record, the report it printed, and where its files are."""

    summary: dict  #: the command's JSON record (summary.json, theory.json, oracle.json or sweep.json)
    report: str  #: the text the command printed
    out: Optional[str]  #: the output folder, or None when the outputs were not kept

    def __str__(self) -> str:
        return self.report


@dataclass(repr=False)
class RunResult(_Result):
    """What `fwmc.run` measured. `layers[l - 1]` is hidden layer l; `traces[name]` is (chains, draws);
    `summary` is summary.json; `report` the text `fwmc run` prints."""

    layers: list = field(default_factory=list)
    traces: dict = field(default_factory=dict)
    theory_summary: dict = field(default_factory=dict)
    preactivation: Optional[tuple] = None  #: nonlinear nets with Stein: layer 1's pre-activation (mean, mcse)

    @staticmethod
    def from_folder(folder: str, report: str, keep: bool) -> "RunResult":
        s = _json(folder, "summary.json")
        names = [t["name"] for t in s["diagnostics"]["traces"]]
        arr = np.load(os.path.join(folder, "traces.npy"))
        traces = {n: arr[i] for i, n in enumerate(names)}
        q = _load(folder, "Q1_mean.npy")
        return RunResult(layers=_layers(folder, s["layers"], len(s["config"]["model"]["widths"]), True),
                         traces=traces,
                         summary=s,
                         theory_summary=_json(folder, "theory.json"),
                         report=report,
                         out=folder if keep else None,
                         preactivation=None if q is None else (q, _load(folder, "Q1_mcse.npy")))

    @property
    def diagnostics(self) -> dict:
        return self.summary["diagnostics"]

    def __repr__(self) -> str:
        d = self.diagnostics
        return (f"<fwmc.RunResult: {len(self.layers)} layer(s), {len(self.traces)} traces, "
                f"R-hat max {d['rhat_max']}, bulk ESS min {d['ess_bulk_min']}>")

    def to_arviz(self, finite_chains_only: bool = True) -> Any:
        """The traces as an arviz.InferenceData (posterior group, dims chain x draw), fwmc's summary in its attrs.
        Chains dropped during the run (their later draws are NaN) are left out by default, as fwmc's own
        diagnostics leave them out. Needs ArviZ (pip install arviz)."""
        try:
            import arviz as az
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("to_arviz() needs ArviZ: pip install arviz") from e
        posterior = {}
        keep = None
        if finite_chains_only:
            keep = np.all([np.all(np.isfinite(v), axis=1) for v in self.traces.values()], axis=0)
        for name, v in self.traces.items():
            posterior[name] = v[keep] if keep is not None else v
        return az.from_dict(posterior=posterior,
                            attrs={"inference_library": "fwmc",
                                   "inference_library_version": self.summary.get("fwmc_version", "")})


@dataclass(repr=False)
class TheoryResult(_Result):
    """What `fwmc.theory` computed: `layers[l - 1]` with nngp, theory (and theory_se); `summary` is theory.json."""

    layers: list = field(default_factory=list)

    @staticmethod
    def from_folder(folder: str, report: str, keep: bool) -> "TheoryResult":
        s = _json(folder, "theory.json")
        return TheoryResult(layers=_layers(folder, s["theory"].get("layers", []),
                                           len(s["config"]["model"]["widths"]), False),
                            summary=s, report=report, out=folder if keep else None)

    def __repr__(self) -> str:
        return f"<fwmc.TheoryResult: {len(self.layers)} layer(s), method {self.summary['theory'].get('method')}>"


@dataclass(repr=False)
class OracleResult(_Result):
    """What `fwmc.oracle` estimated: `layers[l - 1]` with mean and mcse; `summary` is oracle.json."""

    layers: list = field(default_factory=list)

    @staticmethod
    def from_folder(folder: str, report: str, keep: bool) -> "OracleResult":
        s = _json(folder, "oracle.json")
        layers = [Layer(layer=l, mean=_load(folder, f"K{l}_mean.npy"), mcse=_load(folder, f"K{l}_mcse.npy"),
                        nngp=None, theory=None, summary=rec)
                  for l, rec in ((r["layer"], r) for r in s["layers"])]
        return OracleResult(layers=layers, summary=s, report=report, out=folder if keep else None)

    def __repr__(self) -> str:
        return f"<fwmc.OracleResult: {len(self.layers)} layer(s), importance ESS {self.summary['ess']:.0f}>"


@dataclass(repr=False)
class SweepResult(_Result):
    """What `fwmc.sweep` measured: `rows` (sweep.csv, one dict per width, repeat and layer), `summary`
    (sweep.json: the log-log fits), `runs[(width, repeat)]` the RunResult of each run."""

    rows: list = field(default_factory=list)
    runs: dict = field(default_factory=dict)

    @staticmethod
    def from_folder(folder: str, report: str, keep: bool) -> "SweepResult":
        import csv
        with open(os.path.join(folder, "sweep.csv")) as f:
            rows = [{k: _number(v) for k, v in r.items()} for r in csv.DictReader(f)]
        runs = {}
        for name in os.listdir(folder):  # width_<n> or, with repeats, width_<n>_r<k>
            m = re.fullmatch(r"width_(\d+)(?:_r(\d+))?", name)
            sub = os.path.join(folder, name)
            if m and os.path.exists(os.path.join(sub, "summary.json")):
                runs[(int(m.group(1)), int(m.group(2) or 0))] = RunResult.from_folder(sub, "", keep)
        runs = dict(sorted(runs.items()))
        return SweepResult(rows=rows, summary=_json(folder, "sweep.json"), runs=runs, report=report,
                           out=folder if keep else None)

    def __repr__(self) -> str:
        return f"<fwmc.SweepResult: {len(self.runs)} run(s), {len(self.rows)} rows>"


def _number(v: str) -> Any:
    try:
        f = float(v)
    except ValueError:
        return v
    return int(f) if f.is_integer() and "." not in v and "e" not in v.lower() else f
