"""fwmc.run / theory / oracle / sweep: the CLI's commands as functions returning result objects."""
from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Optional, Union

import numpy as np

from . import _fwmc
from ._config import dict_to_toml, overrides_from_kwargs
from ._progress import progress_function
from .results import OracleResult, RunResult, SweepResult, TheoryResult

Config = Union[None, str, "os.PathLike[str]", Mapping]
Data = Optional[Mapping[str, Any]]
ProgressArg = Union[None, bool, str, Callable[[dict], None]]


def _config_args(config: Config, overrides: Mapping, data: Data) -> dict:
    """config (path, dict or None) + keyword overrides + arrays -> the native module's arguments."""
    args: dict = {"overrides": overrides_from_kwargs(overrides)}
    if config is None:
        pass
    elif isinstance(config, (str, os.PathLike)):
        args["config_path"] = os.fspath(config)
    elif isinstance(config, Mapping):
        args["config_text"] = dict_to_toml(config)
    else:
        raise ValueError(f"config: expected a TOML path, a dict of sections or None, got {type(config).__name__}")
    if data is not None:
        if not isinstance(data, Mapping):
            raise ValueError(f"data: expected a dict {{'x': X, 'y': y[, 'x_test': X_test]}}, got {type(data).__name__}")
        arrays = {}
        for k, v in data.items():
            if k not in ("x", "y", "x_test"):
                raise ValueError(f"data: unknown key {k!r} (expected x, y, x_test)")
            try:
                arrays[k] = np.asarray(v)
            except Exception as e:  # ragged lists and the like
                raise ValueError(f"data[{k!r}]: not an array ({e})") from None
        args["data"] = arrays
        # The arrays replace [data] x, y, x_test: the config's files (if any) are not read.
        args["overrides"] = args["overrides"] + ['data.kind="arrays"', 'data.x=""', 'data.y=""', 'data.x_test=""']
    args["handle_sigint"] = threading.current_thread() is threading.main_thread()
    return args


def _show(report: str, verbose: bool) -> str:
    if verbose and report:
        sys.stdout.write(report)
        sys.stdout.flush()
    return report


def _out(out: Optional[Union[str, "os.PathLike[str]"]]) -> str:
    """The native module's output folder argument: "" keeps the outputs in memory only."""
    if out is None:
        return ""
    path = os.fspath(out)
    if not path:
        raise ValueError("out='': give the output folder's name, or None to keep the outputs in memory only")
    return path


def run(config: Config = None, *, out: Optional[Union[str, "os.PathLike[str]"]] = None, force: bool = False,
        resume: Optional[Union[str, "os.PathLike[str]"]] = None, data: Data = None,
        progress: ProgressArg = "auto", verbose: bool = False, dry_run: bool = False,
        **overrides: Mapping) -> Union[RunResult, str]:
    """Sample the weight posterior, compute the theory and compare: `fwmc run`.

    config: a TOML path, a dict {section: {key: value}}, or None for the embedded default config.
    out: the output folder, written as `fwmc run --out` writes it; None: the outputs stay in memory only and
        nothing is written anywhere.
    force: write into an existing, non-empty `out` (replacing fwmc's files).
    resume: continue the interrupted run whose checkpoint is in this folder (its outputs are written there).
    data: {"x": X, "y": y, "x_test": X_test} numpy arrays, in place of the config's [data] files.
    progress: "auto" (a tqdm bar when tqdm is installed, else nothing), True (tqdm or a text line), False/None,
        or a callable given a dict (phase, iteration, total, batch, batches, chain_steps_per_s, accept_rate,
        eta_s) every 25 iterations; an exception it raises stops the run and is re-raised.
    verbose: print the report `fwmc run` prints (it is in result.report either way).
    dry_run: validate, sample and write nothing; returns the memory model's text.
    overrides: one dict per config section, e.g. sampler={"method": "mala", "chains": 32} (the CLI's --set).

    Returns a RunResult (layers, traces, summary, report, to_arviz()). Bad input raises ValueError naming the
    file or key and value, with nothing written; Ctrl-C raises KeyboardInterrupt (a checkpoint is kept in `out`
    when one was written, as with the CLI)."""
    args = _config_args(config, overrides, data)
    if dry_run:
        del args["handle_sigint"]
        return _fwmc.dry_run(**args)
    if resume is not None and out is not None and os.path.abspath(out) != os.path.abspath(resume):
        raise ValueError(f"resume={os.fspath(resume)!r} out={os.fspath(out)!r}: a resumed run finishes in its "
                         "own folder; drop out")
    folder = _out(resume if resume is not None else out)
    with progress_function(progress) as cb:
        try:
            if resume is not None:
                r = _fwmc.resume(folder, progress=cb, **args)
            else:
                r = _fwmc.run(out=folder, force=force, progress=cb, **args)
        except KeyboardInterrupt:
            if folder and os.path.exists(os.path.join(folder, "checkpoint.bin")):
                raise KeyboardInterrupt(f"fwmc: checkpoint saved in {folder}; continue with "
                                        f"fwmc.run(resume={folder!r}) or fwmc run --resume {folder}") from None
            raise KeyboardInterrupt("fwmc: interrupted; no outputs were written") from None
    _show(r["report"], verbose)
    return RunResult.from_native(r)


def theory(config: Config = None, *, out: Optional[Union[str, "os.PathLike[str]"]] = None, force: bool = False,
           data: Data = None, verbose: bool = False, **overrides: Mapping) -> TheoryResult:
    """NNGP kernels and the leading-order theory, no sampling: `fwmc theory`. Arguments as for run()."""
    args = _config_args(config, overrides, data)
    r = _fwmc.theory(out=_out(out), force=force, **args)
    _show(r["report"], verbose)
    return TheoryResult.from_native(r)


def oracle(config: Config = None, *, draws: int = 0, out: Optional[Union[str, "os.PathLike[str]"]] = None,
           force: bool = False, data: Data = None, verbose: bool = False, **overrides: Mapping) -> OracleResult:
    """The exact importance-sampling reference for small problems (docs/theory.md 8): `fwmc oracle`.
    draws: the number of prior draws (0: [theory] draws). Other arguments as for run()."""
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 0:
        raise ValueError(f"draws = {draws!r}: must be a whole number >= 0 (0: the config's [theory] draws)")
    args = _config_args(config, overrides, data)
    r = _fwmc.oracle(out=_out(out), force=force, draws=int(draws), **args)
    _show(r["report"], verbose)
    return OracleResult.from_native(r)


def sweep(config: Config, widths: Optional[Sequence[int]] = None, *, repeats: Optional[int] = None, pattern: str = "",
          out: Optional[Union[str, "os.PathLike[str]"]] = None, force: bool = False, data: Data = None,
          progress: ProgressArg = "auto", verbose: bool = False, **overrides: Mapping) -> SweepResult:
    """Width-scaling study: `fwmc sweep`. widths: at least two distinct widths; repeats: independent runs per
    width; pattern: hidden widths per layer with n for the sweep width, e.g. "n,50,n" (each, when not given: the
    config's [sweep] section). With out set, finished widths are reused on a rerun. Other arguments as for run()."""
    if widths is not None:
        if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
            raise ValueError(f"widths = {widths!r}: expected a list of whole numbers, e.g. [16, 32, 64]")
        for w in widths:
            if isinstance(w, bool) or not isinstance(w, (int, np.integer)):
                raise ValueError(f"widths: {w!r} is not a whole number")
    if repeats is not None and (isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer))):
        raise ValueError(f"repeats = {repeats!r}: must be a whole number")
    if repeats is not None and repeats < 1:
        raise ValueError(f"repeats = {repeats!r}: must be >= 1")
    args = _config_args(config, overrides, data)
    with progress_function(progress) as cb:
        r = _fwmc.sweep(out=_out(out), force=force, progress=cb, widths=[int(w) for w in (widths or [])],
                        repeats=int(repeats or 0), pattern=pattern, **args)
    _show(r["report"], verbose)
    return SweepResult.from_native(r)


def version() -> str:
    """What `fwmc --version` prints: version, CUDA compiled in?, CPU, BLAS, devices."""
    return _fwmc.version_text()
