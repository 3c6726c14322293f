"""A run in a background thread: progress under a lock, a stop event, and a training slot.

The page owns a `Run`; the training thread writes into it, the page's fragment reads a
`snapshot()`. A server shared by a class trains at most `max_concurrent_runs()` runs at once;
the others wait in a queue (core.slots) and their snapshot says where they are in it.
`Run.start()` raises `RunRefused` when a per-session, per-address or queue limit is reached.

A run records why it stopped early (`Snapshot.stop_reason`, one of STOP_REASONS): the Stop
button ("stop"), its page no longer asking for snapshots for `abandon_after_s` — the tab was
closed, hidden or left ("abandoned"), the time cap `max_seconds` ("time_cap"), or Stop while
it was still queued ("queue_cancelled").

Several pages may watch one run (core.shared_runs joins identical Trains): each holds a
`Viewer`, a token with its own last-seen time. The run is abandoned only when every viewer has
gone quiet; a viewer's Stop ends its own watching ("left") and stops the run only when nobody
else is watching it.
"""
from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field

from core import settings
from core.contract import Job, Result
from core.run_times import RunTimes, carries_figure
from core.slots import SLOTS, RunRefused, Ticket, max_concurrent_runs

__all__ = ["Job", "Run", "RunRefused", "SLOTS", "STOP_REASONS", "Snapshot", "Viewer",
           "max_concurrent_runs"]


STOP_REASONS = ("stop", "abandoned", "time_cap", "queue_cancelled", "left")
_DIRECT = "direct"  # the viewer token of code that reads the Run itself, not through a Viewer


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
    stop_reason: str | None = None  # one of STOP_REASONS when state == "stopped"
    stop_message: str = ""  # the reason in words, for the page

    @property
    def finished(self) -> bool:
        return self.state not in ("queued", "running")


class Run:
    """`owner` is who the per-session limit counts against (the page passes its session id;
    None makes the run its own owner), `address` the client's network address (None: not
    counted against any address)."""

    def __init__(self, job: Job, total_steps: int, label: str = "",
                 abandon_after_s: float | None = None, max_seconds: float | None = None,
                 owner: str | None = None, address: str | None = None,
                 browser: str | None = None) -> None:
        self.label = label
        self.owner = owner if owner is not None else object()
        self.address = address or None
        self.browser = browser or None  # the fair queue shares slots per browser first
        self.on_finished = None  # called once, with the run, after its final state is set
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
        self._last_seen = time.monotonic()  # when nobody has looked yet: the start
        self._seen: dict[object, float] = {}  # viewer token -> its last snapshot or heartbeat
        self._seen_lock = threading.Lock()
        self._created_at = time.monotonic()
        self._started_at: float | None = None
        self._first_figure_at: float | None = None
        self._ended_at: float | None = None
        self._ticket: Ticket | None = None
        self._reason_lock = threading.Lock()  # never held while taking another lock
        self._first_reason: str | None = None
        self._reason: str | None = None  # set when the run ends stopped
        self._reason_text = ""
        self._thread = threading.Thread(target=self._main, name=f"run-{label}", daemon=True)

    def start(self) -> "Run":
        """Queue the run and start its thread. Raises RunRefused, with nothing started, when
        a limit is reached."""
        self._ticket = SLOTS.admit(self.owner, self.address, self.browser)
        self._last_seen = time.monotonic()
        try:
            self._thread.start()
        except BaseException:
            SLOTS.withdraw(self._ticket)
            raise
        return self

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def watch(self) -> "Viewer":
        """A new viewer of this run (seen now)."""
        viewer = Viewer(self)
        self.touch(viewer.token)
        return viewer

    def touch(self, viewer: object = _DIRECT) -> None:
        """Mark one viewer as still watching (a snapshot does this; so does a page heartbeat)."""
        with self._seen_lock:
            self._seen[viewer] = time.monotonic()

    def leave(self, viewer: object) -> bool:
        """One viewer stops watching; the run stops when it was the last. True if it stopped."""
        with self._seen_lock:
            self._seen.pop(viewer, None)
            last = not any(self._fresh(seen) for seen in self._seen.values())
        if last:
            self._stop.set()
        return last

    def watchers(self) -> int:
        """Viewers seen within the abandon timeout (all of them when there is none)."""
        with self._seen_lock:
            return sum(self._fresh(seen) for seen in self._seen.values())

    @property
    def finished(self) -> bool:
        with self._lock:
            return self._state not in ("queued", "running")

    @property
    def stopping(self) -> bool:
        """Asked to stop, or left by every viewer: not a run for a newcomer to join."""
        return self._stop.is_set() or self._abandoned()

    def _fresh(self, seen: float) -> bool:
        return (self._abandon_after_s is None
                or time.monotonic() - seen <= self._abandon_after_s)

    def _abandoned(self) -> bool:
        if self._abandon_after_s is None:
            return False
        with self._seen_lock:
            last = max(self._seen.values(), default=self._last_seen)
        return time.monotonic() - last > self._abandon_after_s

    def _over_time(self) -> bool:
        return self._max_seconds is not None and self.running_for() > self._max_seconds

    def _should_stop(self) -> bool:
        reason = ("stop" if self._stop.is_set() else "abandoned" if self._abandoned()
                  else "time_cap" if self._over_time() else None)
        if reason is not None:
            with self._reason_lock:
                self._first_reason = self._first_reason or reason  # the first cause wins
        return reason is not None

    def _stop_message(self, reason: str | None, queued: bool) -> str:
        if reason == "stop":
            return "Stopped with the Stop button."
        if reason == "queue_cancelled":
            return "Stopped while waiting in the queue; it never trained."
        if reason == "abandoned":
            where = "while it waited in the queue" if queued else "during training"
            return (f"Stopped {where}: its page asked for no progress for "
                    f"{self._abandon_after_s:g} s (the tab was closed, hidden or left).")
        if reason == "time_cap":
            return (f"Stopped at this server's limit of {self._max_seconds:.0f} s of training "
                    "per run.")
        return ""

    def _on_step(self, step: int, metrics: dict) -> None:
        figure = carries_figure(metrics)
        metrics = dict(metrics)
        live = metrics.pop("live", None)
        with self._lock:
            if figure and self._first_figure_at is None:
                self._first_figure_at = time.monotonic()
            self._step = max(self._step, step)
            self._latest = metrics
            self._history.append(metrics)
            if live is not None:
                self._live[str(metrics.get("series", ""))] = live

    def _main(self) -> None:
        final: dict = {}
        acquired = False
        try:
            from core.device import configure_threads  # torch stays off the import path here
            configure_threads()  # per-thread in some OpenMP builds, so set it where training runs
            acquired = SLOTS.acquire(self._ticket, self._should_stop)
            if not acquired:
                reason = self._first_reason
                reason = "queue_cancelled" if reason in (None, "stop") else reason
                text = self._stop_message(reason, queued=True)
                final = {"_state": "stopped", "_reason": reason, "_reason_text": text,
                         "_error": text}
                return
            with self._lock:
                self._state = "running"
                self._started_at = time.monotonic()
            result = self._execute()
            with self._lock:
                self._ended_at = time.monotonic()
            reason = self._first_reason if result.status == "stopped" else None
            if reason == "time_cap":
                result.message = (self._stop_message(reason, queued=False) + " "
                                  + result.message).strip()
            final = {"_result": result, "_state": result.status, "_reason": reason,
                     "_reason_text": self._stop_message(reason, queued=False)}
        except Exception as exc:  # a crash in a lab must reach the page, not kill the server
            final = {"_state": "failed", "_error": f"{type(exc).__name__}: {exc}"}
            traceback.print_exc()
        finally:
            # Free the slot before the page can see the run finished: a Train pressed at once
            # must not be counted against a run that is already over.
            if acquired:
                SLOTS.release(self._ticket)
            elif self._ticket is not None:
                SLOTS.withdraw(self._ticket)
            with self._lock:
                for name, value in final.items():
                    setattr(self, name, value)
            if self.on_finished is not None:
                self.on_finished(self)

    def _execute(self):
        """The job, in this thread, or in an actor on the Ray cluster when one is set and the
        server has joined it (until then, or when it cannot, here: core.cluster says why)."""
        from core import cluster
        address = settings.ray_address()
        if address is None or not cluster.ready():
            return self._job(self._on_step, self._should_stop)
        from core.remote_run import run_on_cluster  # Ray loads only on a cluster's server
        return run_on_cluster(self._job, self._on_step, self._should_stop, address)

    def times(self) -> RunTimes | None:
        """Its first-figure and whole-picture seconds, counted from the start of training
        (core.run_times), for a run that trained to its end; None for any other."""
        with self._lock:
            if (self._state not in ("succeeded", "completed") or self._started_at is None
                    or self._ended_at is None):
                return None
            first = (None if self._first_figure_at is None
                     else self._first_figure_at - self._started_at)
            return RunTimes(first_figure_s=first,
                            full_picture_s=self._ended_at - self._started_at,
                            queued_s=self._started_at - self._created_at)

    def running_for(self) -> float:
        """Seconds since the run left the queue (0 while it waits)."""
        started = self._started_at
        return 0.0 if started is None else time.monotonic() - started

    def snapshot(self, viewer: object = _DIRECT) -> Snapshot:
        """Copy the progress under the lock; also marks `viewer` as still watching."""
        self.touch(viewer)
        position = SLOTS.position(self._ticket)  # outside self._lock: never hold both locks
        with self._lock:
            return Snapshot(state=self._state, step=self._step, total_steps=self._total,
                            queue_position=position, history=list(self._history),
                            latest=dict(self._latest), live=dict(self._live),
                            result=self._result, error=self._error,
                            stop_reason=self._reason, stop_message=self._reason_text)


class Viewer:
    """One page watching a run: reads it like the Run itself (snapshot, stop, running_for…),
    but its Stop only ends its own watching while anyone else still watches."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.token = object()
        self._left_at: Snapshot | None = None  # what it saw when it stopped watching

    def snapshot(self) -> Snapshot:
        if self._left_at is not None:
            return self._left_at
        return self.run.snapshot(self.token)

    def touch(self) -> None:
        if self._left_at is None:
            self.run.touch(self.token)

    def stop(self) -> None:
        """Stop watching; the run stops with it when nobody else watches."""
        if self._left_at is not None:
            return
        snap = self.run.snapshot(self.token)
        if self.run.leave(self.token) or snap.finished:
            return  # the last viewer: this page follows the run to its end, as its own
        others = self.run.watchers()
        snap.state, snap.stop_reason = "stopped", "left"
        snap.stop_message = (f"You stopped watching this run; it goes on training for the "
                             f"{others} other{'s' * (others != 1)} watching it.")
        self._left_at = snap

    def watchers(self) -> int:
        return self.run.watchers()

    def __getattr__(self, name: str):
        return getattr(self.run, name)  # label, join, running_for, … as on the Run
