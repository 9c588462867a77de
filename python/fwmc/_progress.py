"""Progress for the native module's callback: a tqdm bar, a text line, or the caller's own function."""
from __future__ import annotations

import contextlib
import sys
from typing import Any, Callable, Iterator, Optional


class _Bar:
    """One tqdm bar per chain batch over its warm-up and sampling iterations; tqdm.auto picks the notebook widget
    in Jupyter."""

    def __init__(self, tqdm: Any):
        self._tqdm, self._bar, self._batch = tqdm, None, None

    def __call__(self, p: dict) -> None:
        if p["batch"] != self._batch:
            self.close()
            self._bar, self._batch = self._tqdm(total=p["total"], unit="it", leave=False), p["batch"]
        desc = p["phase"] + (f" {p['batch']}/{p['batches']}" if p["batches"] > 1 else "")
        changed = desc != self._bar.desc
        self._bar.set_description(desc, refresh=False)
        self._bar.set_postfix(accept=f"{p['accept_rate']:.3f}", refresh=False)
        self._bar.update(p["iteration"] - self._bar.n)
        if changed or p["iteration"] == p["total"]:  # tqdm redraws at most every 0.1 s: show these states
            self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _text_line(p: dict) -> None:
    sys.stderr.write(f"\r[{p['phase']:<8}] step {p['iteration']}/{p['total']}  batch {p['batch']}/{p['batches']}  "
                     f"{p['chain_steps_per_s']:.3g} chain-steps/s  accept {p['accept_rate']:.3f}  "
                     f"ETA {p['eta_s']:.0f} s")
    if p["iteration"] == p["total"] and p["batch"] == p["batches"]:
        sys.stderr.write("\n")


@contextlib.contextmanager
def progress_function(progress: Any) -> Iterator[Optional[Callable[[dict], None]]]:
    """progress: "auto" (tqdm if installed, else none), True (tqdm, else a text line), False/None, or a callable."""
    if progress is None or progress is False:
        yield None
        return
    if callable(progress):
        yield progress
        return
    if progress not in ("auto", True):
        raise ValueError(f"progress = {progress!r}: expected 'auto', True, False, None or a function of one dict")
    try:
        from tqdm.auto import tqdm
    except ImportError:
        yield None if progress == "auto" else _text_line
        return
    bar = _Bar(tqdm)
    try:
        yield bar
    finally:
        bar.close()
