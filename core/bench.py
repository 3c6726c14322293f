"""`python -m core bench`: each lab's default demo against its floor.

A student waits for the full picture (the headline model and its rivals), not only for the
success criterion. For each lab's default this measures, on the run's own progress stream:

- seconds to the first figure (the first entry carrying figure data, or the first measurement:
  core.run_times.carries_figure, the definition the page's own run times use),
  to success (the training loop's own clock, `seconds_to_success`, else the run's wall time
  when it succeeded) and to the full picture (the whole run, rivals and final scoring included);
- the floor: for every model the run trained, its median training step (sample a batch,
  forward, backward, update), timed between consecutive steps in this same run, times the
  steps it took; summed over the models. The floor is the design (steps, sizes, how many
  models); full picture / floor is what the rest costs (measurements, set-up, final scoring).
  When a run trains models side by side on free cores, the full picture can be below the floor.

Speed is measured here, never asserted in tests.
"""
from __future__ import annotations

import datetime
import json
import os
import statistics
import threading
import time
from collections import defaultdict
from contextlib import nullcontext
from pathlib import Path

import torch

from core.arm_scheduler import arm_workers, arms_at_once
from core.cpu_name import this_cpu
from core.device import device_label
from core.labs import all_labs
from core.run_times import bench_times_file, carries_figure


class ProgressClock:
    """The `on_step` of a timed run: when the first figure came, and the time between one
    training step and the next of each series (one series per model; entries may come from
    several threads when models train side by side)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first_figure_s: float | None = None
        self._lock = threading.Lock()
        self._last: dict[str, tuple[int, float]] = {}
        self.intervals: dict[str, list[float]] = defaultdict(list)
        self.steps: dict[str, int] = defaultdict(int)

    def __call__(self, step: int, metrics: dict) -> None:
        now = time.perf_counter()
        series = str(metrics.get("series", ""))
        with self._lock:
            if self.first_figure_s is None and carries_figure(metrics):
                self.first_figure_s = now - self.started
            if metrics.get("eval") or metrics.get("loss") is None:
                return
            self.steps[series] += 1
            last = self._last.get(series)
            if last is not None and step == last[0] + 1:
                self.intervals[series].append(now - last[1])
            self._last[series] = (step, now)

    def floor(self) -> dict[str, dict]:
        """Per series: its median step in ms, the steps it took, and their product in s."""
        out = {}
        for series, n in self.steps.items():
            gaps = self.intervals.get(series)
            if not gaps:
                continue
            step_s = statistics.median(gaps)
            out[series] = {"step_ms": 1e3 * step_s, "steps": n, "floor_s": step_s * n}
        return out


def bench_lab(lab, overrides: dict | None = None) -> dict:
    at_once = arm_workers()
    clock = ProgressClock()
    result = lab.run(lab.make_config(overrides or {}), on_step=clock)
    full = time.perf_counter() - clock.started
    to_success = result.metrics.get("seconds_to_success")
    if to_success is None and result.success:
        to_success = result.wall_s
    picture = (f"{lab.picture[1]} = {result.metrics[lab.picture[0]]:.3g}"
               if lab.picture and result.metrics.get(lab.picture[0]) is not None else "—")
    arms = clock.floor()
    floor = sum(a["floor_s"] for a in arms.values())
    return {"lab": lab.id, "success": result.success, "seconds_to_success": to_success,
            "first_figure_s": clock.first_figure_s, "full_picture_s": full,
            "floor_s": floor, "full_over_floor": full / floor if floor > 0 else None,
            "arms": arms, "arms_at_once": at_once, "steps": result.steps,
            "wall_s": result.wall_s,
            "steps_per_s": result.steps / result.wall_s if result.wall_s > 0 else None,
            "picture": picture}


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _costliest(arms: dict[str, dict]) -> str:
    if not arms:
        return "—"
    name, arm = max(arms.items(), key=lambda kv: kv[1]["floor_s"])
    return f"{name or 'model'}: {arm['steps']} × {arm['step_ms']:.1f} ms"


def cmd_bench(args) -> int:
    if args.kernels:
        from core.bench_kernels import instrumented_vs_fused
        rows = [instrumented_vs_fused(cell) for cell in ("rnn", "lstm", "gru")]
        return _report(rows, args.json,
                       "Forward+backward per step, batch 64, T=80, hidden 64 (Gradient Flow's "
                       "default):", ["cell", "fused ms", "instrumented ms", "ratio"],
                       lambda r: [r["cell"], f"{r['fused_ms']:.1f}",
                                  f"{r['instrumented_ms']:.1f}", f"{r['ratio']:.1f}x"])
    if args.threads:
        from core.bench_kernels import thread_throughput
        rows = [thread_throughput(t, c) for c in (1, 2) for t in (1, 2)]
        return _report(rows, args.json,
                       "Gradient Flow (LSTM, T=80, hidden 64), aggregate training steps per "
                       "second:", ["concurrent runs", "threads per run", "steps/s"],
                       lambda r: [r["concurrent"], r["threads"], f"{r['steps_per_s']:.0f}"])
    if getattr(args, "sweep", False):
        from core.bench_sweep import bench_sweep, report_rows
        result = bench_sweep()
        if args.json:
            print(json.dumps(result, indent=1))
            return 0
        return _report(report_rows(result), False, "Sweep on Ray vs in-process (measured on a "
                       "shared machine: other load inflates every time):", ["", "measured"],
                       lambda row: row)
    unknown = [name for name in args.labs or () if name not in all_labs()]
    if unknown:  # an empty table would look like a bench that measured nothing
        raise KeyError(f"unknown lab {unknown[0][:60]!r}; known labs: {', '.join(all_labs())}")
    labs = [lab for lab in all_labs().values() if not args.labs or lab.id in args.labs]
    at_once = getattr(args, "arms_at_once", None)
    with arms_at_once(at_once) if at_once else nullcontext():
        rows = [bench_lab(lab) for lab in labs]
        title = (f"device: {device_label()}, torch {torch.__version__}, threads "
                 f"{torch.get_num_threads()}, {this_cpu()}, "
                 f"models trained at once: up to {arm_workers()}")
    if getattr(args, "save_times", None):
        save_times(rows, args.save_times)
    return _report(rows, args.json, title,
                   ["lab", "success", "s to first figure", "s to success",
                    "s to full picture", "floor s", "full / floor", "costliest model",
                    "headline picture at the end"],
                   lambda r: [r["lab"], "yes" if r["success"] else "no",
                              _seconds(r["first_figure_s"]), _seconds(r["seconds_to_success"]),
                              _seconds(r["full_picture_s"]), _seconds(r["floor_s"]),
                              "—" if r["full_over_floor"] is None
                              else f"{r['full_over_floor']:.2f}",
                              _costliest(r["arms"]), r["picture"]])


def save_times(rows: list[dict], path: str) -> None:
    """Write the times the lab pages quote for their default demos (assets/bench_times.json):
    measured here, so run it on the machine that serves the pages, with nothing else
    running. Labs not benched this time keep their rows from the file already there."""
    from core.run_times import load_bench_times
    device = device_label()
    cores = os.cpu_count()
    data = bench_times_file(
        rows, machine=(f"{cores} CPU cores, {'no GPU' if device == 'CPU' else device}, "
                       f"torch {torch.__version__}"),
        cpu=this_cpu(), cpu_cores=cores, device=device, torch_version=torch.__version__,
        date=datetime.date.today().isoformat())
    kept = load_bench_times(Path(path)).get("labs", {})
    data["labs"] = {**kept, **data["labs"]}
    Path(path).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def _report(rows: list[dict], as_json: bool, title: str, headers: list[str], cells) -> int:
    """Print rows as JSON, or as a Markdown table under a title line."""
    if as_json:
        print(json.dumps(rows, indent=1))
        return 0
    print(title)
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for r in rows:
        print("| " + " | ".join(str(c) for c in cells(r)) + " |")
    return 0
