"""One run per experiment: identical Trains on one server train once.

A run's identity is its lab, its whole configuration (the seed included), the data bound to
the lab's run (an uploaded series) and the code version (core.precompute.code_version). A
Train whose identity matches a run training now joins it as another `Viewer` (the page shows
its history so far, then follows it live); one matching a run that finished on this server
(the last `FINISHED_KEPT`, in memory) gets its Result at once. Only the starter's run holds a
ticket in the slot queue, so the per-session and per-address limits count a joined run once.

It also keeps, per identity, how long the last `TIMES_KEPT` runs that trained to their end
took to their first figure and to their whole picture (core.run_times), for the page to quote
beside Train.
"""
from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import OrderedDict, deque
from typing import Callable

import numpy as np

from core.contract import Result, config_dict
from core.precompute import code_version
from core.run_times import RunTimes
from core.runs import Run, Viewer

FINISHED_KEPT = 32  # a lecture's presets, each a few hundred kB of history and figure data
# A run that ended this way would end the same way again: worth showing to the next Train.
_REPEATABLE = ("succeeded", "completed", "diverged")
TIMES_KEPT = 5  # runs per identity whose times are kept
TIMED_KEPT = 512  # identities whose times are kept (a few hundred bytes each)


def lab_data(lab) -> dict:
    """The data bound to a lab's run (pages bind an uploaded series with functools.partial)."""
    run = getattr(lab, "run", None)
    return dict(run.keywords) if isinstance(run, functools.partial) else {}


def data_digest(data: dict) -> str:
    digest = hashlib.sha256()
    for name in sorted(data):
        value = data[name]
        digest.update(name.encode())
        if isinstance(value, np.ndarray):
            digest.update(str((value.dtype, value.shape)).encode())
            digest.update(np.ascontiguousarray(value).tobytes())
        else:
            digest.update(repr(value).encode())
    return digest.hexdigest()[:16]


def run_identity(lab_id: str, config, data: dict | None = None, part: str = "") -> str:
    """The identity of a run: `part` names a study of the lab (a different job on the same
    settings), `data` what lab_data returns."""
    payload = json.dumps({"lab": lab_id, "part": part, "config": config_dict(config),
                          "data": data_digest(data or {}), "code": code_version()},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


class SharedRuns:
    """Live runs by identity, and the Results of the last runs that finished."""

    def __init__(self, kept: int = FINISHED_KEPT) -> None:
        self._lock = threading.Lock()
        self._live: dict[str, Run] = {}
        self._finished: OrderedDict[str, Result] = OrderedDict()
        self._kept = kept
        self._times: OrderedDict[str, deque[RunTimes]] = OrderedDict()

    def join_or_start(self, identity: str, make_run: Callable[[], Run]
                      ) -> tuple[Viewer | None, Result | None, bool]:
        """(a viewer of the live run, None, joined) or (None, the finished Result, True).
        A new run is made, started (RunRefused passes through, nothing kept) and watched when
        neither exists."""
        with self._lock:
            live = self._live.get(identity)
            if live is not None and not live.stopping and not live.finished:
                return live.watch(), None, True
            finished = self._finished.get(identity)
            if finished is not None:
                self._finished.move_to_end(identity)
                return None, finished, True
            run = make_run()
            run.on_finished = functools.partial(self._finish, identity)
            viewer = run.watch()  # the starter watches from the start
            run.start()
            self._live[identity] = run
            return viewer, None, False

    def _finish(self, identity: str, run: Run) -> None:
        snap = run.snapshot()
        times = run.times()
        with self._lock:
            if times is not None:
                kept = self._times.setdefault(identity, deque(maxlen=TIMES_KEPT))
                kept.append(times)
                self._times.move_to_end(identity)
                while len(self._times) > TIMED_KEPT:
                    self._times.popitem(last=False)
            if self._live.get(identity) is run:
                del self._live[identity]
            if snap.result is not None and snap.result.status in _REPEATABLE:
                self._finished[identity] = snap.result
                self._finished.move_to_end(identity)
                while len(self._finished) > self._kept:
                    self._finished.popitem(last=False)

    def finished(self, identity: str) -> Result | None:
        with self._lock:
            return self._finished.get(identity)

    def times(self, identity: str) -> list[RunTimes]:
        """The times of the last runs of `identity` that trained to their end, oldest first."""
        with self._lock:
            return list(self._times.get(identity, ()))

    def live(self) -> int:
        with self._lock:
            return len(self._live)


SHARED = SharedRuns()
