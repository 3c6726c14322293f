"""One point of a sweep: one lab run, reduced to its scalar metrics.

The same function runs in-process (the sequential engine) and inside a Ray task, so the two
engines differ only in where a point runs, never in what it computes.
"""
from __future__ import annotations

import math
import os
import socket
import time


def scalar_metrics(metrics: dict, prefix: str = "") -> dict:
    """Every number in a Result's metrics, nested dicts flattened to dotted names
    (`comparison.rnn.accuracy`); lists and strings are left out. Booleans become 0/1 so a
    mean over seeds is a rate; non-finite values become None, as in the Result's JSON."""
    flat = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(scalar_metrics(value, f"{name}."))
        elif isinstance(value, bool):
            flat[name] = float(value)
        elif isinstance(value, (int, float)):
            flat[name] = float(value) if math.isfinite(value) else None
        elif hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # numpy/torch scalar
            number = float(value.item())
            flat[name] = number if math.isfinite(number) else None
    return flat


def run_point(lab_id: str, overrides: dict, seed: int, should_stop=None,
              data: dict | None = None) -> dict:
    """`lab.run(lab.make_config({**overrides, "seed": seed}), **data)` with one torch thread.
    `data` is what the page's run is bound to (an uploaded series), so every point trains on
    it as the page's own run does.

    Returns the point's scalar metrics plus the run's own success flag and step count (as the
    metrics `success` and `steps` unless the lab already reports those names), its status,
    training wall and CPU time, and where it ran.
    """
    import torch

    from core.arm_scheduler import arms_at_once
    from core.labs import get_lab

    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)  # points, not threads, fill the cores (whatever the env says)
    lab = get_lab(lab_id)
    config = lab.make_config({**overrides, "seed": seed})
    start, cpu_start = time.perf_counter(), time.process_time()
    with arms_at_once(1):  # points fill the cores; a point's arms train one after another
        result = lab.run(config, should_stop=should_stop, **(data or {}))
    metrics = scalar_metrics(result.metrics)
    metrics.setdefault("success", float(result.success))
    metrics.setdefault("steps", float(result.steps))
    # CPU seconds are what a point costs whatever else the machine is doing; the process
    # total (imports and all) lets a benchmark see what a worker spent outside points.
    return {"run_status": result.status, "metrics": metrics,
            "wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu_start,
            "worker_cpu_s": time.process_time(),
            "worker": f"{socket.gethostname()}:{os.getpid()}", "message": result.message}
