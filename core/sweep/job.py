"""A sweep as one run of the app: it waits for a training slot like any run, reports its
progress (points done of total, ETA) and the finished points as they come, and Stop, the time
cap and the closed-tab timeout end it keeping what finished.

The page starts `sweep_job(plan)` through core.runs.Run, so a sweep obeys the same per-session
limits and fair queue as Train; its Result carries the table and every point, exports like a
run, and names the command line that reproduces it.
"""
from __future__ import annotations

import functools
import shlex
import time

from core.contract import Result
from core.sweep.point import run_point
from core.sweep_spec import SweepPlan
from core.sweep.sweep_run import SweepRun
from core.sweep.table import csv_table, tabulate

POLL_S = 0.25


class SweepFailed(RuntimeError):
    """A sweep that could not run (no Ray cluster at the address, a metric the lab does not
    report): the run shows the message."""


def sweep_job(plan: SweepPlan, *, engine: str = "auto", address: str | None = None,
              max_in_flight: int | None = None, data: dict | None = None):
    """The job a Run executes: drive a SweepRun, pass its progress and finished points to
    `on_step` (the points as the live figure data), stop it when asked. `data` (an uploaded
    series) goes to every point."""
    point_fn = functools.partial(run_point, data=data) if data else run_point

    def job(on_step, should_stop) -> Result:
        sweep = SweepRun(plan, engine=engine, address=address, point_fn=point_fn,
                         max_in_flight=max_in_flight).start()
        started = time.perf_counter()
        seen = -1
        while True:
            snap = sweep.snapshot()
            if should_stop() and not snap.finished:
                sweep.stop()
            finished = snap.done + snap.failed
            if on_step is not None and (finished != seen or snap.finished):
                seen = finished
                on_step(finished, {"progress": snap.progress, "eta_s": snap.eta_s,
                                   "live": {"records": snap.records, "where": snap.where,
                                            "state": snap.state}})
            if snap.finished:
                break
            time.sleep(POLL_S)
        sweep.join()
        snap = sweep.snapshot()
        if snap.state == "failed":
            raise SweepFailed(snap.error)
        return sweep_result(plan, snap, time.perf_counter() - started)
    return job


def sweep_result(plan: SweepPlan, snap, wall_s: float) -> Result:
    rows = tabulate(plan, snap.records)
    status = "completed" if snap.state == "done" else "stopped"
    notes = [snap.note] if snap.note else []
    if snap.failed:
        notes.append(f"{snap.failed} point{'s' * (snap.failed != 1)} failed: "
                     + "; ".join(sorted({r['error'] for r in snap.records
                                         if r['status'] == 'failed'}))[:300])
    return Result(lab=plan.lab, config=plan_config(plan),
                  metrics={"metric": plan.metric, "rows": rows, "points_done": snap.done,
                           "points_failed": snap.failed, "points_total": plan.total,
                           "where": snap.where},
                  success=snap.state == "done" and not snap.failed, status=status,
                  steps=snap.done, wall_s=wall_s,
                  arrays={"records": snap.records, "knobs": list(plan.knobs)},
                  message=" ".join(notes))


def plan_config(plan: SweepPlan) -> dict:
    """What the sweep was: the grid, the seeds, the metric and the knobs held fixed."""
    return {"sweep": {"vary": {k: list(v) for k, v in plan.vary}, "seeds": list(plan.seeds),
                      "metric": plan.metric, "name": plan.name},
            "overrides": dict(plan.overrides)}


def sweep_command(plan: SweepPlan) -> str:
    """The command line that trains the same grid: `python3 -m core sweep LAB ...`."""
    parts = ["python3", "-m", "core", "sweep", plan.lab]
    for knob, values in plan.vary:
        parts += ["--vary", f"{knob}={','.join(_text(v) for v in values)}"]
    parts += ["--seeds", str(len(plan.seeds)), "--metric", plan.metric]
    fixed = {**plan.overrides, "seed": plan.seeds[0]}
    for knob, value in fixed.items():
        parts += ["--set", f"{knob}={_text(value)}"]
    return " ".join(shlex.quote(p) for p in parts)


def sweep_csv(plan: SweepPlan, result: Result) -> str:
    return csv_table(plan, result.metrics["rows"])


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
