"""A sweep in a background thread: progress, points as they finish, and a Stop that keeps them.

The caller (the command line now, a page later) builds a `SweepRun`, starts it, and reads
`snapshot()` whenever it likes; the thread connects to Ray (or runs the points here, one
after another), appends each finished point to the optional store, and never touches the
caller's thread. Stop cancels the points not yet finished and keeps every finished one, so
`--resume` (or the page) can continue where it ended.

Engines: "ray" (Ray tasks; joins RNNLAB_RAY_ADDRESS when set, else an embedded instance),
"local" (sequential in this process: the reference the Ray results are tested against), and
"auto" (Ray when it can be imported and started, else local, saying why).
"""
from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

from core.sweep.point import run_point


class SweepError(RuntimeError):
    """A sweep that cannot run for a reason its message states (no traceback needed)."""


def ray_address(explicit: str | None = None) -> str | None:
    """The cluster to join: an explicit address, else RNNLAB_RAY_ADDRESS (checked by
    core.settings), else None (embedded)."""
    from core import settings
    return explicit or settings.ray_address()


@dataclass
class SweepSnapshot:
    state: str  # starting | running | done | stopped | failed
    engine: str  # "ray" | "local" | "" before it is chosen
    where: str  # e.g. "embedded Ray: 1 node, 2 CPUs"
    total: int
    done: int  # points finished "ok", resumed ones included
    failed: int
    resumed: int
    elapsed_s: float  # since the points started (connecting to Ray not included)
    eta_s: float | None  # remaining points at the rate finished so far; None before the first
    records: list = field(default_factory=list)  # finished points, in the order they finished
    note: str = ""
    error: str = ""

    @property
    def finished(self) -> bool:
        return self.state in ("done", "stopped", "failed")

    @property
    def progress(self) -> float:
        return (self.done + self.failed) / self.total if self.total else 1.0


class SweepRun:
    def __init__(self, plan, *, engine: str = "auto", address: str | None = None,
                 point_fn: Callable = run_point, store=None, done: list | tuple = (),
                 on_point: Callable[[dict], None] | None = None,
                 max_in_flight: int | None = None) -> None:
        if engine not in ("auto", "ray", "local"):
            raise ValueError(f"engine must be auto, ray or local, not {engine!r}")
        self.plan = plan
        self._engine_wanted = engine
        self._address = ray_address(address)
        self._point_fn = point_fn
        self._store = store
        self._on_point = on_point
        self._max_in_flight = max_in_flight  # Ray only: points submitted at once
        done_keys = {r["key"] for r in done}
        self._todo = [p for p in plan.points() if p.key not in done_keys]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._records: list[dict] = list(done)
        self._resumed = len(done)
        self._state, self._engine, self._where, self._note, self._error = "starting", "", "", "", ""
        self._started_at: float | None = None
        self._ended_at: float | None = None
        self._metric_checked = False
        self._thread = threading.Thread(target=self._main, name=f"sweep-{plan.lab}", daemon=True)

    # -- the caller's side ------------------------------------------------------------------
    def start(self) -> "SweepRun":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def snapshot(self) -> SweepSnapshot:
        with self._lock:
            records = list(self._records)
            started, ended = self._started_at, self._ended_at
            elapsed = 0.0 if started is None else (ended or time.monotonic()) - started
            ok = sum(r["status"] == "ok" for r in records)
            failed = len(records) - ok
            finished_here = len(records) - self._resumed
            remaining = self.plan.total - len(records)
            eta = (elapsed / finished_here * remaining
                   if finished_here and self._state == "running" else None)
            return SweepSnapshot(state=self._state, engine=self._engine, where=self._where,
                                 total=self.plan.total, done=ok, failed=failed,
                                 resumed=self._resumed, elapsed_s=elapsed, eta_s=eta,
                                 records=records, note=self._note, error=self._error)

    # -- the sweep's thread -----------------------------------------------------------------
    def _main(self) -> None:
        try:
            for record in self._records:  # resumed points: the metric must be among them
                self._check_metric(record)
            nothing_to_run = self._stop.is_set() or not self._todo
            engine, where = ("", "") if nothing_to_run else self._choose_engine()
            with self._lock:
                self._engine, self._where = engine, where
                self._state = "running"
                self._started_at = time.monotonic()
            if nothing_to_run:
                finished = not self._stop.is_set()
            elif engine == "ray":
                from core.sweep import ray_engine
                finished = ray_engine.run_points(self.plan, self._todo, self._point_fn,
                                                 self._stop.is_set, self._finish_point,
                                                 self._max_in_flight)
            else:
                finished = self._run_here()
            with self._lock:
                self._state = ("failed" if self._error else
                               "done" if finished else "stopped")
        except Exception as exc:  # a sweep that cannot run says why; it never kills the caller
            if not isinstance(exc, SweepError):
                traceback.print_exc()
            with self._lock:
                self._error = self._error or (str(exc) if isinstance(exc, SweepError)
                                              else f"{type(exc).__name__}: {exc}")
                self._state = "failed"
        finally:
            with self._lock:
                self._ended_at = time.monotonic()

    def _choose_engine(self) -> tuple[str, str]:
        if self._engine_wanted == "local":
            return "local", "this process, one point after another"
        try:
            from core.sweep import ray_engine
        except ImportError:
            if self._engine_wanted == "ray" or self._address:
                raise SweepError("Ray is not installed here; run with --local") from None
            self._note = "Ray is not installed here, so the points ran one after another."
            return "local", "this process, one point after another"
        if self._address:
            try:
                return "ray", ray_engine.connect(self._address)
            except Exception as exc:
                raise SweepError(f"could not join the Ray cluster at {self._address}: "
                                 f"{exc}") from None
        try:
            return "ray", ray_engine.connect(None)
        except Exception as exc:
            if self._engine_wanted == "ray":
                raise
            self._note = (f"Ray could not start here ({type(exc).__name__}: {exc}), so the "
                          f"points ran one after another.")
            return "local", "this process, one point after another"

    def _run_here(self) -> bool:
        for point in self._todo:
            if self._stop.is_set():
                return False
            try:
                out = self._point_fn(self.plan.lab, self.plan.config_overrides(point),
                                     point.seed, should_stop=self._stop.is_set)
                outcome = {"status": "ok", "attempts": 1, **out}
            except Exception as exc:  # one point's failure is recorded, the sweep goes on
                outcome = {"status": "failed", "attempts": 1,
                           "error": f"{type(exc).__name__}: {exc}"}
            if self._stop.is_set():
                return False  # the point was cut short by Stop: not a result
            self._finish_point(point, outcome)
        return True

    def _finish_point(self, point, outcome: dict) -> None:
        record = {"key": point.key, "combo": point.combo, "seed": point.seed,
                  "metrics": {}, "error": "", **outcome}
        if self._store is not None:
            self._store.append(record)
        with self._lock:
            self._records.append(record)
        self._check_metric(record)
        if self._on_point is not None:
            self._on_point(record)

    def _check_metric(self, record: dict) -> None:
        """The first finished point must report the metric the table shows; if it does not,
        the name is wrong, and training the rest of the grid would be wasted."""
        if self._metric_checked or record["status"] != "ok":
            return
        self._metric_checked = True
        if self.plan.metric not in record["metrics"]:
            known = ", ".join(sorted(record["metrics"]))
            with self._lock:
                self._error = (f"--metric: {self.plan.lab} does not report "
                               f"{self.plan.metric!r}; it reports: {known}")
            self._stop.set()
