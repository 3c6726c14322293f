"""Background runs: snapshots, stop, the global concurrency limit and queue positions."""
import threading
import time

from core.contract import Result
from core.runs import SLOTS, Run


def blocking_job(release: threading.Event, steps: int = 3):
    def job(on_step, should_stop):
        for s in range(1, steps + 1):
            on_step(s, {"loss": 1.0 / s})
        while not release.is_set() and not should_stop():
            time.sleep(0.01)
        status = "stopped" if should_stop() else "completed"
        return Result("toy", {}, {}, False, status, steps, 0.0)
    return job


def wait_until(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.01)
    return False


def test_queue_positions_and_limit(monkeypatch):
    monkeypatch.setenv("RNNLAB_MAX_RUNS", "2")
    release = threading.Event()
    runs = [Run(blocking_job(release), 3, label=f"r{i}").start() for i in range(4)]
    try:
        assert wait_until(lambda: [r.snapshot().state for r in runs].count("running") == 2)
        time.sleep(0.2)
        states = [r.snapshot() for r in runs]
        assert [s.state for s in states].count("running") == 2
        queued = sorted(s.queue_position for s in states if s.state == "queued")
        assert queued == [1, 2]
        assert SLOTS.active == 2
    finally:
        release.set()
    assert wait_until(lambda: all(r.snapshot().finished for r in runs))
    assert all(r.snapshot().state == "completed" for r in runs)
    assert wait_until(lambda: SLOTS.active == 0)


def test_stop_and_snapshot_history():
    release = threading.Event()
    run = Run(blocking_job(release, steps=5), 5).start()
    assert wait_until(lambda: run.snapshot().step == 5)
    run.stop()
    assert wait_until(lambda: run.snapshot().finished)
    snap = run.snapshot()
    assert snap.state == "stopped" and [h["loss"] for h in snap.history][-1] == 0.2


def test_abandoned_run_stops_itself():
    release = threading.Event()
    run = Run(blocking_job(release), 3, abandon_after_s=0.3).start()
    # nobody reads a snapshot: after 0.3 s the run decides its page is gone
    assert wait_until(lambda: not run._thread.is_alive(), timeout=5)
    assert run.snapshot().state == "stopped"


def test_a_crashing_job_is_reported_not_raised():
    def job(on_step, should_stop):
        raise RuntimeError("boom")
    run = Run(job, 1).start()
    assert wait_until(lambda: run.snapshot().finished)
    assert run.snapshot().state == "failed" and "boom" in run.snapshot().error
    assert wait_until(lambda: SLOTS.active == 0)


def test_a_run_past_the_time_cap_stops_and_says_why():
    def job(on_step, should_stop):
        while not should_stop():
            time.sleep(0.01)
        return Result("toy", {}, {}, False, "stopped", 0, 0.0)
    run = Run(job, 1, max_seconds=0.2).start()
    assert wait_until(lambda: run.snapshot().finished, timeout=5)
    assert "limit of" in run.snapshot().result.message
