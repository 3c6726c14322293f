"""Per-session and per-address limits, the bounded queue, fair scheduling and stop reasons.

Threads stand in for browser sessions. Every job waits on its own gate, so the tests decide
when a slot frees; they assert on the order of events and on queue positions, never on time.
"""
import threading
import time

import pytest

from core.contract import Result
from core.runs import SLOTS, Run, RunRefused


def wait_until(pred, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.01)
    return False


class Jobs:
    """Jobs that log their start and end, and train until their gate opens or they are told
    to stop."""

    def __init__(self):
        self.events: list[tuple[str, str]] = []
        self.gates: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def job(self, name: str):
        gate = self.gates.setdefault(name, threading.Event())

        def run(on_step, should_stop):
            with self._lock:
                self.events.append(("start", name))
            on_step(1, {"loss": 1.0})
            while not gate.is_set() and not should_stop():
                time.sleep(0.005)
            with self._lock:
                self.events.append(("end", name))
            return Result("toy", {}, {}, False, "stopped" if should_stop() else "completed",
                          1, 0.0)
        return run

    def starts(self) -> list[str]:
        with self._lock:
            return [name for kind, name in self.events if kind == "start"]

    def open_all(self):
        for gate in self.gates.values():
            gate.set()


@pytest.fixture
def jobs():
    assert wait_until(lambda: SLOTS.active == 0 and SLOTS.waiting == 0), "slots left busy"
    jobs = Jobs()
    yield jobs
    jobs.open_all()
    assert wait_until(lambda: SLOTS.active == 0 and SLOTS.waiting == 0)


def as_session(fn):
    """Run `fn` on its own thread (one browser session's script thread) and return its
    value or re-raise its exception."""
    box = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed back to the test thread
            box["error"] = exc
    thread = threading.Thread(target=target)
    thread.start()
    thread.join(20)
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_one_session_with_ten_long_runs_delays_another_by_one_slot_at_most(jobs, monkeypatch):
    monkeypatch.setenv("RNNLAB_MAX_RUNS", "2")
    monkeypatch.setenv("RNNLAB_MAX_RUNS_PER_SESSION", "10")
    abusive = as_session(lambda: [Run(jobs.job(f"A{i}"), 1, owner="session-A").start()
                                  for i in range(10)])
    assert wait_until(lambda: jobs.starts() == ["A0", "A1"])
    visitor = as_session(lambda: Run(jobs.job("B"), 1, owner="session-B").start())
    # B holds no slot, A holds two: B is next in line although eight of A's runs came first
    assert visitor.snapshot().queue_position == 1
    assert sorted(r.snapshot().queue_position for r in abusive[2:]) == list(range(2, 10))
    jobs.gates["A0"].set()  # one slot frees
    assert wait_until(lambda: len(jobs.starts()) == 3)
    assert jobs.starts()[2] == "B"
    assert visitor.snapshot().state == "running"
    jobs.gates["B"].set()  # then A, holding one slot again, gets the next
    assert wait_until(lambda: len(jobs.starts()) == 4)
    assert jobs.starts()[3] == "A2"
    jobs.open_all()
    assert wait_until(lambda: all(r.snapshot().state == "completed"
                                  for r in abusive + [visitor]))
    assert jobs.starts() == ["A0", "A1", "B"] + [f"A{i}" for i in range(2, 10)]


def test_the_per_session_limit_refuses_cleanly_and_frees_with_the_run(jobs, monkeypatch):
    monkeypatch.delenv("RNNLAB_MAX_RUNS_PER_SESSION", raising=False)  # default: 2
    first = [Run(jobs.job(f"A{i}"), 1, owner="session-A").start() for i in range(2)]
    refused = Run(jobs.job("A2"), 1, owner="session-A")
    with pytest.raises(RunRefused) as err:
        refused.start()
    assert "You already have 2 runs going" in err.value.message
    assert "stop one or wait" in err.value.message
    assert SLOTS.in_progress(owner="session-A") == 2  # a refusal leaves nothing behind
    assert refused.snapshot().queue_position is None
    other = Run(jobs.job("B"), 1, owner="session-B").start()  # others are not affected
    first[0].stop()
    assert wait_until(lambda: first[0].snapshot().finished)
    again = Run(jobs.job("A3"), 1, owner="session-A").start()  # room again
    jobs.open_all()
    assert wait_until(lambda: all(r.snapshot().finished for r in first + [other, again]))


def test_the_per_address_limit_counts_every_session_behind_one_address(jobs, monkeypatch):
    monkeypatch.setenv("RNNLAB_MAX_RUNS_PER_ADDRESS", "3")
    runs = [Run(jobs.job("s1-a"), 1, owner="s1", address="10.0.0.7").start(),
            Run(jobs.job("s1-b"), 1, owner="s1", address="10.0.0.7").start(),
            Run(jobs.job("s2-a"), 1, owner="s2", address="10.0.0.7").start()]
    with pytest.raises(RunRefused) as err:
        Run(jobs.job("s2-b"), 1, owner="s2", address="10.0.0.7").start()
    assert "3 runs from your network address" in err.value.message
    runs.append(Run(jobs.job("s3"), 1, owner="s3", address="10.0.0.8").start())
    runs.append(Run(jobs.job("local"), 1, owner="s4", address=None).start())  # not counted
    assert SLOTS.in_progress(address="10.0.0.7") == 3
    jobs.open_all()
    assert wait_until(lambda: all(r.snapshot().finished for r in runs))


def test_the_queue_is_bounded(jobs, monkeypatch):
    monkeypatch.setenv("RNNLAB_MAX_RUNS", "1")
    monkeypatch.setenv("RNNLAB_MAX_QUEUE", "2")
    runs = [Run(jobs.job(f"r{i}"), 1).start() for i in range(3)]  # one trains, two wait
    assert wait_until(lambda: SLOTS.active == 1 and SLOTS.waiting == 2)
    with pytest.raises(RunRefused) as err:
        Run(jobs.job("r3"), 1).start()
    assert "2 runs are already waiting" in err.value.message
    assert SLOTS.waiting == 2
    jobs.open_all()
    assert wait_until(lambda: all(r.snapshot().state == "completed" for r in runs))


def test_stop_reasons(jobs, monkeypatch):
    monkeypatch.setenv("RNNLAB_MAX_RUNS", "1")
    running = Run(jobs.job("running"), 1).start()
    assert wait_until(lambda: running.snapshot().state == "running")
    cancelled = Run(jobs.job("cancelled"), 1).start()
    left = Run(jobs.job("left"), 1, abandon_after_s=0.2).start()  # nobody reads it
    cancelled.stop()
    assert wait_until(lambda: cancelled.snapshot().finished)
    assert wait_until(lambda: not left._thread.is_alive())  # reading a snapshot would reset it
    snap = cancelled.snapshot()
    assert (snap.state, snap.stop_reason) == ("stopped", "queue_cancelled")
    assert "never trained" in snap.stop_message
    snap = left.snapshot()
    assert (snap.state, snap.stop_reason) == ("stopped", "abandoned")
    assert "waited in the queue" in snap.stop_message
    running.stop()
    assert wait_until(lambda: running.snapshot().finished)
    assert running.snapshot().stop_reason == "stop"
    capped = Run(jobs.job("capped"), 1, max_seconds=0.2).start()
    assert wait_until(lambda: capped.snapshot().finished)
    snap = capped.snapshot()
    assert snap.stop_reason == "time_cap" and "limit of" in snap.result.message
    gone = Run(jobs.job("gone"), 1, abandon_after_s=0.3).start()
    assert wait_until(lambda: gone.snapshot().state == "running")
    assert wait_until(lambda: not gone._thread.is_alive())  # no snapshot read for 0.3 s
    snap = gone.snapshot()
    assert snap.stop_reason == "abandoned" and "during training" in snap.stop_message
    assert jobs.starts() == ["running", "capped", "gone"]  # the cancelled ones never trained


def test_a_run_that_finishes_on_its_own_has_no_stop_reason(jobs):
    run = Run(jobs.job("done"), 1).start()
    jobs.gates["done"].set()
    assert wait_until(lambda: run.snapshot().finished)
    assert run.snapshot().state == "completed" and run.snapshot().stop_reason is None


def test_bad_thread_setting_does_not_leave_runs_queued(jobs, monkeypatch):
    monkeypatch.setenv("RNNLAB_TORCH_THREADS", "x")
    run = Run(jobs.job("t"), 1).start()
    jobs.gates["t"].set()
    assert wait_until(lambda: run.snapshot().finished)
    assert run.snapshot().state == "completed"


def test_a_job_that_crashes_before_its_slot_is_failed_not_queued(jobs, monkeypatch):
    import core.device
    monkeypatch.setattr(core.device, "configure_threads",
                        lambda: (_ for _ in ()).throw(RuntimeError("no threads")))
    run = Run(jobs.job("t"), 1).start()
    assert wait_until(lambda: run.snapshot().finished)
    assert run.snapshot().state == "failed" and "no threads" in run.snapshot().error
    assert jobs.starts() == []


def test_the_run_panel_shows_a_refusal_as_a_warning(jobs, monkeypatch):
    """One tab pressing Train on a second panel past its limit sees why, and nothing breaks."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("RNNLAB_MAX_RUNS_PER_SESSION", "1")
    root = Path(__file__).resolve().parents[1]
    at = AppTest.from_file(str(root / "pages" / "gradients.py"), default_timeout=120)
    at.query_params["steps"] = "5000"  # long enough to still be going at the second click
    at.run()
    at.button(key="train:gradients").click().run()
    assert not at.exception, at.exception
    first = at.session_state["run:gradients"]
    at.button(key="train:gradients-tbptt").click().run()
    assert not at.exception, at.exception
    assert any("You already have 1 run going" in w.value for w in at.warning)
    assert "run:gradients-tbptt" not in at.session_state
    assert SLOTS.in_progress(owner=first.owner) == 1
    first.stop()
    assert wait_until(lambda: first.snapshot().finished, timeout=60)


def test_a_run_seen_finished_no_longer_counts_against_its_session(jobs, monkeypatch):
    """The page enables Train as soon as it sees the run finished; pressing it then must
    never be refused because of the run that just ended."""
    monkeypatch.setenv("RNNLAB_MAX_RUNS_PER_SESSION", "1")
    for i in range(20):
        run = Run(jobs.job(f"r{i}"), 1, owner="tab").start()
        jobs.gates[f"r{i}"].set()
        assert wait_until(lambda: run.snapshot().finished)
        assert SLOTS.in_progress(owner="tab") == 0
