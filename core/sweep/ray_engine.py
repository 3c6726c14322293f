"""Sweeps on Ray: every point a task with one CPU, its own seed and one torch thread.

Imported only when a sweep starts on Ray, so pages that never sweep never pay Ray's import.

Ray 2.60, as read in ray/remote_function.py and ray/_private/worker.py:
- `max_retries` counts re-executions after a *system* failure (the worker process or its node
  died, or the memory monitor killed it); its default is 3 (env RAY_TASK_MAX_RETRIES). With
  `retry_exceptions=False` an exception raised by the lab is not retried: it is a bug in the
  point, not bad luck, and comes back at once as a RayTaskError. So a point whose worker is
  lost runs at most 1 + MAX_RETRIES times, then `ray.get` raises WorkerCrashedError (or
  NodeDiedError / OutOfMemoryError) and the point is recorded as failed.
- A task cannot see its attempt number through the public runtime context; the core worker
  reports it (`get_current_task_attempt_number`), and a point records it as `attempts`.
- `ray.init()` without an address joins whatever cluster /tmp/ray/ray_current_cluster names;
  `address="local"` always starts a private instance, sized here to this machine, with no
  dashboard, a small object store (points return a few numbers) and usage stats off.
- A new instance turns on Ray's token authentication by default (creating ~/.ray/auth_token
  if it is missing). An explicit address never does: to join a token-secured cluster, set
  Ray's own RAY_AUTH_MODE=token and RAY_AUTH_TOKEN_PATH (or RAY_AUTH_TOKEN).
- Joining an address that nothing answers makes ray.init retry for minutes, so the address
  is probed first and fails in seconds.
"""
from __future__ import annotations

import logging
import os
import socket
from collections import deque
from pathlib import Path

import ray
from ray import exceptions as ray_errors

from core import settings

MAX_RETRIES = 1
OBJECT_STORE_BYTES = 96 * 1024 ** 2  # Ray's floor is 75 MiB; a point returns a few numbers
POLL_S = 0.2
# What a worker node needs to import core and read assets/; tests and caches stay behind.
SHIPPED_EXCLUDES = [".git", "tests", "cache", "**/__pycache__", "*.pyc", ".pytest_cache",
                    ".hypothesis", "assets/screenshots"]

_started_here = False


def local_cpus() -> int:
    """Cores this process may use (RNNLAB_RAY_CPUS overrides): one point per core."""
    forced = settings.ray_cpus()  # a value not accepted is reported, and ignored
    if forced is not None:
        return forced
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _code_env() -> dict | None:
    """Ship this checkout to the cluster's workers (Ray's `working_dir`), so every node runs
    the driver's code; RNNLAB_RAY_SHIP_CODE=0 when the nodes already have it installed."""
    if not settings.ray_ship_code():
        return None
    root = Path(__file__).resolve().parents[2]
    return {"working_dir": str(root), "excludes": SHIPPED_EXCLUDES}


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail in seconds when nothing listens at host:port; ray.init would retry for minutes."""
    if "://" in address:  # a Ray Client address: its own handshake reports errors
        return
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"expected host:port, got {address!r}")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            pass
    except OSError as exc:
        raise ConnectionError(f"nothing answers at {address} ({exc.strerror or exc})") from None


def connect(address: str | None) -> str:
    """Join the Ray cluster at `address`, or start an embedded one; reuse a connection this
    process already has. Returns a one-line description of where points will run."""
    global _started_here
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no phoning home from a classroom
    if not ray.is_initialized():
        quiet = dict(include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False,
                     namespace="rnnlab")
        if address:
            _check_reachable(address)
            ray.init(address=address, runtime_env=_code_env(), **quiet)
        else:
            ray.init(address="local", num_cpus=local_cpus(),
                     object_store_memory=OBJECT_STORE_BYTES, **quiet)
            _started_here = True
    return describe()


def describe() -> str:
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    cpus = int(ray.cluster_resources().get("CPU", 0))
    where = "embedded Ray" if _started_here else "Ray cluster"
    return f"{where}: {len(nodes)} node{'s' * (len(nodes) != 1)}, {cpus} CPUs"


def shutdown() -> None:
    """Leave the cluster (and stop the embedded instance, if this process started it)."""
    global _started_here
    if ray.is_initialized():
        ray.shutdown()
    _started_here = False


def _attempt_number() -> int:
    try:
        worker = ray._private.worker.global_worker
        return int(worker.core_worker.get_current_task_attempt_number())
    except Exception:  # a Ray without it: the retry is still counted on failure
        return 0


def _task(point_fn):
    @ray.remote(num_cpus=1, max_retries=MAX_RETRIES, retry_exceptions=False)
    def sweep_point(lab_id: str, overrides: dict, seed: int) -> dict:
        out = point_fn(lab_id, overrides, seed)
        out["attempts"] = _attempt_number() + 1
        return out
    return sweep_point


def _outcome(ref) -> dict:
    """The task's record fields: its output, or why it failed and how often it ran."""
    try:
        return {"status": "ok", **ray.get(ref)}
    except ray_errors.RayTaskError as exc:  # the lab raised: not retried
        cause = exc.cause if getattr(exc, "cause", None) is not None else exc
        return {"status": "failed", "attempts": 1,
                "error": f"{type(cause).__name__}: {_one_line(str(cause), last=True)}"}
    except ray_errors.RayError as exc:  # worker or node lost on every attempt
        return {"status": "failed", "attempts": 1 + MAX_RETRIES,
                "error": f"{type(exc).__name__}: {_one_line(str(exc), last=False)}"}


def _one_line(text: str, last: bool) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return (lines[-1] if last else lines[0]) if lines else ""


def run_points(plan, points, point_fn, should_stop, on_outcome,
               max_in_flight: int | None = None) -> bool:
    """Run the points as tasks, reporting each as it finishes; on stop, cancel the rest.
    Returns True when every point finished, False when stopped.

    At most `max_in_flight` points are submitted at a time (default: twice the cluster's
    CPUs, enough to keep every core busy). Ray hands out queued tasks roughly in the order
    they arrive, so when many sweeps share one cluster, a window per sweep interleaves them
    and each gets its first points early instead of waiting behind whole grids."""
    task = _task(point_fn)
    window = max_in_flight or max(1, 2 * int(ray.cluster_resources().get("CPU", 1)))
    queue = deque(points)
    by_ref: dict = {}
    try:
        while queue or by_ref:
            if should_stop():
                return False
            while queue and len(by_ref) < window:
                p = queue.popleft()
                by_ref[task.remote(plan.lab, plan.config_overrides(p), p.seed)] = p
            ready, _ = ray.wait(list(by_ref), num_returns=1, timeout=POLL_S)
            for ref in ready:
                on_outcome(by_ref.pop(ref), _outcome(ref))
        return True
    finally:  # stopped, or the caller failed (e.g. a full disk): free the cluster
        for ref in by_ref:
            ray.cancel(ref)  # queued points never start; running ones are interrupted
