"""The package while it runs: GIL released, Ctrl-C, progress callbacks, resume, ArviZ."""
import os
import signal
import threading
import time

import numpy as np
import pytest

import fwmc
from conftest import SMALL

# Minutes of sampling (the traces of 8 chains x 200,000 draws take 50 MB).
LONG = {**SMALL, "sampler": {**SMALL["sampler"], "samples": 200_000}}


def test_gil_is_released_while_sampling():
    ticks = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks[0] += 1

    t = threading.Thread(target=count)
    t.start()
    try:
        fwmc.run(SMALL, progress=False)
    finally:
        stop.set()
        t.join()
    # A thread held off by the GIL would get a handful of switch intervals at most.
    assert ticks[0] > 10_000


def test_ctrl_c_interrupts_cleanly(tmp_path):
    out = str(tmp_path / "out")
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt, match="fwmc.run.resume="):
        fwmc.run(LONG, out=out, progress=False)
    timer.join()
    assert time.monotonic() - t0 < 10
    # As the CLI: the sampling so far is in a checkpoint, and no outputs are written.
    assert sorted(os.listdir(out)) == ["checkpoint.bin"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Python's handler is back
    r = fwmc.run(SMALL, progress=False)  # and the next run is not stopped by the old request
    assert r.layers[0].mean.shape == (5, 5)


def test_interrupted_run_resumes_bitwise(tmp_path):
    cfg = {**SMALL, "sampler": {**SMALL["sampler"], "samples": 20000}, "output": {"checkpoint_every": 0.3}}
    whole = fwmc.run(cfg, progress=False)
    out = str(tmp_path / "out")
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        fwmc.run(cfg, out=out, progress=False)
    timer.join()
    assert os.path.exists(os.path.join(out, "checkpoint.bin"))
    resumed = fwmc.run(resume=out, progress=False)
    for a, b in zip(whole.layers, resumed.layers):
        assert np.array_equal(a.mean, b.mean) and np.array_equal(a.mcse, b.mcse)


def test_progress_callback_sees_both_phases():
    seen = []
    fwmc.run(SMALL, progress=seen.append)
    phases = {p["phase"] for p in seen}
    assert phases == {"warmup", "sampling"}
    last = seen[-1]
    assert last["iteration"] == last["total"] == 210 and last["batch"] == last["batches"] == 1
    assert 0 < last["accept_rate"] <= 1


def test_an_exception_in_the_callback_stops_the_run():
    class Stop(Exception):
        pass

    def cb(p):
        if p["iteration"] >= 50:
            raise Stop("enough")

    t0 = time.monotonic()
    with pytest.raises(Stop, match="enough"):
        fwmc.run(LONG, progress=cb)
    assert time.monotonic() - t0 < 20


def test_arviz_agrees_with_fwmc_diagnostics():
    if os.environ.get("FWMC_REQUIRE_ARVIZ") != "1":
        pytest.importorskip("arviz")
    import arviz as az

    r = fwmc.run(SMALL, progress=False, sampler={"samples": 400})
    idata = r.to_arviz()
    assert isinstance(idata, az.InferenceData)
    assert idata.posterior.sizes["chain"] == 8 and idata.posterior.sizes["draw"] == 400
    rhat, bulk, tail = az.rhat(idata), az.ess(idata, method="bulk"), az.ess(idata, method="tail")
    for t in r.summary["diagnostics"]["traces"]:
        n = t["name"]
        assert float(rhat[n]) == pytest.approx(t["rhat"], rel=1e-10, abs=0), n
        assert float(bulk[n]) == pytest.approx(t["ess_bulk"], rel=1e-10, abs=0), n
        assert float(tail[n]) == pytest.approx(t["ess_tail"], rel=1e-10, abs=0), n


def test_calls_from_two_threads_run_one_after_another():
    results = {}

    def work(name):
        results[name] = fwmc.run(SMALL, progress=False)

    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Same config and seed: the same numbers, whichever ran first.
    assert np.array_equal(results["a"].layers[1].mean, results["b"].layers[1].mean)
