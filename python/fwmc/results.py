"""Result objects: what a job returned (the arrays and JSON records of docs/outputs.md), held in memory."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np


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


def _layers(arrays: dict, records: list, depth: int) -> list:
    """Hidden layers 1..depth from the arrays named as their files (K1_mean, ...) and the JSON records."""
    out = []
    for l in range(1, depth + 1):
        k = f"K{l}"
        rec = next((r for r in records if r.get("layer") == l), {})
        out.append(
            Layer(layer=l,
                  mean=arrays.get(f"{k}_mean"),
                  mcse=arrays.get(f"{k}_mcse"),
                  nngp=arrays.get(f"{k}_nngp"),
                  theory=arrays.get(f"{k}_theory"),
                  theory_se=arrays.get(f"{k}_theory_se"),
                  plain_mean=arrays.get(f"{k}_plain_mean"),
                  plain_mcse=arrays.get(f"{k}_plain_mcse"),
                  summary=rec))
    return out


@dataclass(repr=False)
class _Result:
    """What every command returns: its JSON record, the report it printed, and where its files are."""

    summary: dict  #: the command's JSON record (summary.json, theory.json, oracle.json or sweep.json)
    report: str  #: the text the command printed
    out: Optional[str]  #: the output folder the files were written to, or None (in memory only)

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
    def from_native(r: dict) -> "RunResult":
        s = json.loads(r["summary"])
        arrays = r["arrays"]
        names = [t["name"] for t in s["diagnostics"]["traces"]]
        traces = {n: arrays["traces"][i] for i, n in enumerate(names)}
        q = arrays.get("Q1_mean")
        return RunResult(layers=_layers(arrays, s["layers"], len(s["config"]["model"]["widths"])),
                         traces=traces,
                         summary=s,
                         theory_summary=json.loads(r["theory"]),
                         report=r["report"],
                         out=r["out"],
                         preactivation=None if q is None else (q, arrays["Q1_mcse"]))

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
    def from_native(r: dict) -> "TheoryResult":
        s = json.loads(r["summary"])
        return TheoryResult(layers=_layers(r["arrays"], s["theory"].get("layers", []),
                                           len(s["config"]["model"]["widths"])),
                            summary=s, report=r["report"], out=r["out"])

    def __repr__(self) -> str:
        return f"<fwmc.TheoryResult: {len(self.layers)} layer(s), method {self.summary['theory'].get('method')}>"


@dataclass(repr=False)
class OracleResult(_Result):
    """What `fwmc.oracle` estimated: `layers[l - 1]` with mean and mcse; `summary` is oracle.json."""

    layers: list = field(default_factory=list)

    @staticmethod
    def from_native(r: dict) -> "OracleResult":
        s = json.loads(r["summary"])
        a = r["arrays"]
        layers = [Layer(layer=l, mean=a.get(f"K{l}_mean"), mcse=a.get(f"K{l}_mcse"), nngp=None, theory=None,
                        summary=rec)
                  for l, rec in ((rec["layer"], rec) for rec in s["layers"])]
        return OracleResult(layers=layers, summary=s, report=r["report"], out=r["out"])

    def __repr__(self) -> str:
        return f"<fwmc.OracleResult: {len(self.layers)} layer(s), importance ESS {self.summary['ess']:.0f}>"


@dataclass(repr=False)
class SweepResult(_Result):
    """What `fwmc.sweep` measured: `rows` (sweep.csv's columns, one dict per width, repeat and layer), `summary`
    (sweep.json: the log-log fits), `runs[(width, repeat)]` the RunResult of each run."""

    rows: list = field(default_factory=list)
    runs: dict = field(default_factory=dict)

    @staticmethod
    def from_native(r: dict) -> "SweepResult":
        runs = {(w, k): RunResult.from_native(run) for w, k, run in r["runs"]}
        return SweepResult(rows=list(r["rows"]), summary=json.loads(r["summary"]), runs=dict(sorted(runs.items())),
                           report=r["report"], out=r["out"])

    def __repr__(self) -> str:
        return f"<fwmc.SweepResult: {len(self.runs)} run(s), {len(self.rows)} rows>"
