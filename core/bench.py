"""`python -m core bench`: each lab's default demo, timed to its success criterion.

Speed is measured here, never asserted in tests. Seconds to success come from the training
loop's own clock (`seconds_to_success` in the metrics when a lab reports it), else the run's
wall time when it succeeded.
"""
from __future__ import annotations

import json
import platform

import torch

from core.device import device_label
from core.labs import all_labs


def bench_lab(lab) -> dict:
    result = lab.run(lab.make_config({}))
    to_success = result.metrics.get("seconds_to_success")
    if to_success is None and result.success:
        to_success = result.wall_s
    picture = (f"{lab.picture[1]} = {result.metrics[lab.picture[0]]:.3g}"
               if lab.picture and result.metrics.get(lab.picture[0]) is not None else "—")
    return {"lab": lab.id, "success": result.success, "seconds_to_success": to_success,
            "steps": result.steps, "wall_s": result.wall_s,
            "steps_per_s": result.steps / result.wall_s if result.wall_s > 0 else None,
            "picture": picture}


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
    rows = [bench_lab(lab) for lab in labs]
    title = (f"device: {device_label()}, torch {torch.__version__}, threads "
             f"{torch.get_num_threads()}, {platform.processor() or platform.machine()}")
    return _report(rows, args.json, title,
                   ["lab", "success", "s to success", "steps", "steps/s", "wall s",
                    "headline picture at the end"],
                   lambda r: [r["lab"], "yes" if r["success"] else "no",
                              "—" if r["seconds_to_success"] is None
                              else f"{r['seconds_to_success']:.1f}",
                              r["steps"], f"{r['steps_per_s']:.0f}", f"{r['wall_s']:.1f}",
                              r["picture"]])


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
