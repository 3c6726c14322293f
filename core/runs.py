"""A run in a background thread: progress under a lock, a stop event, and a global limit.

The page owns a `Run`; the training thread writes into it, the page's fragment reads a
`snapshot()`. A server shared by a class takes at most `max_concurrent_runs()` runs at once;
the others wait, in order, and their snapshot says where they are in the queue. A run whose
page stops asking for snapshots (the tab was closed) stops itself after `abandon_after_s`.
"""
from __future__ import annotations

import os
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

from core.contract import Result

Job = Callable[[Callable[[int, dict], None], Callable[[], bool]], Result]


def max_concurrent_runs() -> int:
    return max(1, int(os.environ.get("RNNLAB_MAX_RUNS", "2")))


class _Slots:
    """A first-come-first-served counting semaphore that can report queue positions."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active = 0
        self._waiting: list[object] = []

    def acquire(self, token: object, cancelled: Callable[[], bool]) -> bool:
        with self._cond:
            self._waiting.append(token)
            try:
                while not (self._waiting[0] is token and self._active < max_concurrent_runs()):
                    if cancelled():
                        return False
                    self._cond.wait(timeout=0.5)  # woken early by release()
                self._active += 1
                return True
            finally:
                self._waiting.remove(token)
                self._cond.notify_all()

    def release(self) -> None:
        with self._cond:
            self._active -= 1
            self._cond.notify_all()

    def position(self, token: object) -> int | None:
        """1 = next to start; None = not waiting."""
        with self._cond:
            return self._waiting.index(token) + 1 if token in self._waiting else None

    @property
    def active(self) -> int:
        with self._cond:
            return self._active

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)


SLOTS = _Slots()


@dataclass
class Snapshot:
    state: str  # queued | running | succeeded | completed | stopped | diverged | failed
    step: int
    total_steps: int
    queue_position: int | None
    history: list = field(default_factory=list)
    latest: dict = field(default_factory=dict)
    live: dict = field(default_factory=dict)  # series -> its latest figure data
    result: Result | None = None
    error: str = ""

    @property
    def finished(self) -> bool:
        return self.state not in ("queued", "running")


class Run:
    def __init__(self, job: Job, total_steps: int, label: str = "",
                 abandon_after_s: float | None = None, max_seconds: float | None = None) -> None:
        self.label = label
        self._job = job
        self._total = total_steps
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._state = "queued"
        self._step = 0
        self._history: list[dict] = []
        self._latest: dict = {}
        self._live: dict = {}
        self._result: Result | None = None
        self._error = ""
        self._abandon_after_s = abandon_after_s
        self._max_seconds = max_seconds
        self._last_seen = time.monotonic()
        self._started_at: float | None = None
        self._thread = threading.Thread(target=self._main, name=f"run-{label}", daemon=True)

    def start(self) -> "Run":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _abandoned(self) -> bool:
        if self._abandon_after_s is None:
            return False
        return time.monotonic() - self._last_seen > self._abandon_after_s

    def _over_time(self) -> bool:
        return self._max_seconds is not None and self.running_for() > self._max_seconds

    def _should_stop(self) -> bool:
        return self._stop.is_set() or self._abandoned() or self._over_time()

    def _on_step(self, step: int, metrics: dict) -> None:
        metrics = dict(metrics)
        live = metrics.pop("live", None)
        with self._lock:
            self._step = max(self._step, step)
            self._latest = metrics
            self._history.append(metrics)
            if live is not None:
                self._live[str(metrics.get("series", ""))] = live

    def _main(self) -> None:
        from core.device import configure_threads  # torch stays off the import path of runs
        configure_threads()  # per-thread in some OpenMP builds, so set it where training runs
        if not SLOTS.acquire(self, self._should_stop):
            with self._lock:
                self._state = "stopped"
                self._error = "stopped while waiting in the queue"
            return
        try:
            with self._lock:
                self._state = "running"
                self._started_at = time.monotonic()
            result = self._job(self._on_step, self._should_stop)
            if self._over_time() and result.status == "stopped":
                result.message = (f"Stopped at this server's limit of {self._max_seconds:.0f} s "
                                  f"of training per run; the figures show the model as it was. "
                                  + result.message).strip()
            with self._lock:
                self._result = result
                self._state = result.status
        except Exception as exc:  # a crash in a lab must reach the page, not kill the server
            with self._lock:
                self._state = "failed"
                self._error = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        finally:
            SLOTS.release()

    def running_for(self) -> float:
        """Seconds since the run left the queue (0 while it waits)."""
        started = self._started_at
        return 0.0 if started is None else time.monotonic() - started

    def snapshot(self) -> Snapshot:
        """Copy the progress under the lock; also marks the run as still being watched."""
        self._last_seen = time.monotonic()
        with self._lock:
            return Snapshot(state=self._state, step=self._step, total_steps=self._total,
                            queue_position=SLOTS.position(self), history=list(self._history),
                            latest=dict(self._latest), live=dict(self._live),
                            result=self._result, error=self._error)
