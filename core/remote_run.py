"""Live runs on a Ray cluster: with RNNLAB_RAY_ADDRESS set, each Train runs in its own actor
on the cluster, so the web server only renders.

The server keeps its `Run` (core.runs) exactly as for a run in a thread: its thread waits for
a slot, then hands the job to an actor and, until the job returns, drains the actor's progress
into the Run every `POLL_S` and passes Stop (the button, the time cap, the closed-tab timeout)
on to it. The page cannot tell the difference, except that the slots are the cluster's CPUs.
Imported only when a cluster is configured, so a server without one never loads Ray.
"""
from __future__ import annotations

import threading
import time

import ray

from core.sweep.ray_engine import connect

POLL_S = 0.25


@ray.remote(num_cpus=1, max_concurrency=4)
class RemoteRun:
    """One run's job on a cluster node: `run` trains (one thread of the actor), while `drain`
    and `stop` answer the server from the others."""

    def __init__(self, job) -> None:
        self._job = job
        self._lock = threading.Lock()
        self._entries: list = []
        self._stop = threading.Event()

    def run(self):
        from core.arm_scheduler import arms_at_once
        from core.device import configure_threads
        configure_threads()
        with arms_at_once(1):  # the actor holds one of the cluster's CPUs
            return self._job(self._on_step, self._stop.is_set)

    def _on_step(self, step: int, metrics: dict) -> None:
        with self._lock:
            self._entries.append((step, metrics))

    def drain(self) -> list:
        with self._lock:
            entries, self._entries = self._entries, []
        return entries

    def stop(self) -> None:
        self._stop.set()


def run_on_cluster(job, on_step, should_stop, address: str):
    """Run `job(on_step, should_stop)` in an actor on the cluster at `address` and return its
    Result, relaying progress and Stop while it trains."""
    connect(address)
    actor = RemoteRun.remote(job)
    try:
        done_ref = actor.run.remote()
        stop_sent = False
        while True:
            ready, _ = ray.wait([done_ref], timeout=POLL_S)
            for step, metrics in ray.get(actor.drain.remote()):
                on_step(step, metrics)
            if ready:
                return ray.get(done_ref)
            if not stop_sent and should_stop():
                actor.stop.remote()  # the job ends at its next check and returns what it has
                stop_sent = True
    finally:
        ray.kill(actor)


_capacity: dict = {}
CAPACITY_TTL_S = 10.0  # nodes join and leave; ask the cluster again after this long


def cluster_cpus(address: str) -> int:
    """The cluster's capacity in runs: one CPU per run (asked at most every CAPACITY_TTL_S,
    since the slot queue asks on every wait)."""
    cached = _capacity.get(address)
    if cached is not None and time.monotonic() - cached[1] < CAPACITY_TTL_S:
        return cached[0]
    connect(address)
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    _capacity[address] = (cpus, time.monotonic())
    return cpus
