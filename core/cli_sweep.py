"""`python -m core sweep LAB --vary knob=v1,v2 [--vary ...] --seeds N --metric NAME`.

Trains every combination x seed (on Ray unless --local), prints one row per combination with
the metric's mean, spread over seeds and every value, and the wall time. Progress goes to
stderr, one line per finished point. Exit codes: 0 every point finished; 1 some points failed
or the sweep could not run; 2 a bad knob, value, metric or file (the message names it);
130 stopped with Ctrl-C (finished points are kept, in --out if given).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from core.contract import ConfigError
from core.labs import get_lab
from core.sweep import (SweepRun, SweepSpec, create_store, csv_table, lab_sweeps,
                        markdown_table, parse_sets, parse_vary, plan_sweep, ray_address,
                        resume_store, shutdown_ray, tabulate)


def add_sweep_parser(sub) -> None:
    p = sub.add_parser("sweep", help="train a grid of knob values x seeds, tabulate a metric")
    p.add_argument("lab")
    p.add_argument("--vary", action="append", metavar="KNOB=V1,V2,...",
                   help="a knob and the values to try; repeat to cross several knobs")
    p.add_argument("--seeds", type=int, help="seeds per combination (default 3)")
    p.add_argument("--set", action="append", metavar="KNOB=VALUE",
                   help="hold a knob at a value for every point")
    p.add_argument("--metric", help="the scalar metric to tabulate (default accuracy)")
    p.add_argument("--spec", metavar="NAME", help="start from one of the lab's named sweeps")
    p.add_argument("--json", action="store_true", help="print the table and points as JSON")
    p.add_argument("--csv", metavar="FILE", help="also write the table as CSV ('-': stdout)")
    p.add_argument("--out", metavar="FILE", help="save each point as it finishes (JSON lines)")
    p.add_argument("--resume", metavar="FILE",
                   help="continue a sweep saved with --out: skip its finished points")
    p.add_argument("--local", action="store_true",
                   help="run the points one after another in this process, without Ray")
    p.add_argument("--address", help="join this Ray cluster (default: RNNLAB_RAY_ADDRESS, "
                                     "else an embedded Ray sized to this machine)")


def spec_from_args(args, lab) -> SweepSpec:
    base = None
    if args.spec:
        named = lab_sweeps(lab)
        if args.spec not in named:
            raise ConfigError(f"--spec: {lab.id} has no sweep named {args.spec!r}; it has: "
                              f"{', '.join(map(repr, named)) or 'none'}")
        base = named[args.spec]
    sets = parse_sets(args.set or [])
    if args.vary:
        vary = parse_vary(args.vary)
    else:  # a --set narrows a named sweep: that knob is no longer varied
        vary = {k: v for k, v in (base.vary if base else {}).items() if k not in sets}
    return SweepSpec(vary=vary,
                     seeds=args.seeds if args.seeds is not None else (base.seeds if base else 3),
                     metric=args.metric or (base.metric if base else "accuracy"),
                     overrides={**(base.overrides if base else {}), **sets},
                     name=base.name if base else "")


def _check_address(address: str | None) -> None:
    if address and "://" not in address:
        host, sep, port = address.rpartition(":")
        if not (host and sep and port.isdigit()):
            raise ConfigError(f"--address / RNNLAB_RAY_ADDRESS: expected host:port, "
                              f"got {address!r}")


def _check_writable(flag: str, path: Path, new: bool = False) -> None:
    """ConfigError naming the problem when `path` cannot be written as a file."""
    if path.is_dir():
        raise ConfigError(f"{flag}: {path} is a directory; give a file name")
    if not path.parent.is_dir():
        raise ConfigError(f"{flag}: no directory {path.parent}")
    if not new and path.exists() and not os.access(path, os.W_OK):
        raise ConfigError(f"{flag}: {path} cannot be written")
    if not path.exists() and not os.access(path.parent, os.W_OK):
        raise ConfigError(f"{flag}: cannot write in {path.parent}")


def _open_store(args, plan):
    if args.out and args.resume and Path(args.out) != Path(args.resume):
        raise ConfigError("--out starts a new point file and --resume continues one; give one")
    if args.csv == "-" and args.json:
        raise ConfigError("--csv - and --json both print to stdout; write the CSV to a file")
    if args.csv and args.csv != "-":  # checked now, not after the whole sweep has trained
        _check_writable("--csv", Path(args.csv))
    if args.out:
        _check_writable("--out", Path(args.out), new=True)
    if args.resume:
        return resume_store(args.resume, plan)
    if args.out:
        if not Path(args.out).parent.is_dir():
            raise ConfigError(f"--out: no directory {Path(args.out).parent}")
        return create_store(args.out, plan), []
    return None, []


def _describe_point(record: dict) -> str:
    knobs = " ".join(f"{k}={v}" for k, v in record["combo"].items())
    return f"{knobs} seed {record['seed']}"


def _progress_printer(run_ref: list, metric: str):
    def on_point(record: dict) -> None:
        snap = run_ref[0].snapshot()
        head = f"[{snap.done + snap.failed}/{snap.total}] {_describe_point(record)}"
        if record["status"] == "ok":
            value = record["metrics"].get(metric)
            shown = "—" if value is None else f"{value:.4g}"
            tail = f"{metric} {shown} ({record['wall_s']:.1f} s on {record['worker']}"
            tail += f", attempt {record['attempts']})" if record["attempts"] > 1 else ")"
        else:
            tail = f"FAILED after {record['attempts']} attempt(s): {record['error']}"
        eta = f"; about {snap.eta_s:.0f} s left" if snap.eta_s is not None else ""
        print(f"{head}: {tail}{eta}", file=sys.stderr, flush=True)
    return on_point


def cmd_sweep(args) -> int:
    lab = get_lab(args.lab)
    plan = plan_sweep(lab, spec_from_args(args, lab))
    if not args.local:
        _check_address(ray_address(args.address))
    store, done = _open_store(args, plan)
    start = time.perf_counter()
    run_ref: list = []
    run = SweepRun(plan, engine="local" if args.local else "auto", address=args.address,
                   store=store, done=done, on_point=_progress_printer(run_ref, plan.metric))
    run_ref.append(run)
    if done:
        print(f"resuming: {len(done)} of {plan.total} points already in {args.resume}",
              file=sys.stderr)
    interrupted = False
    run.start()
    try:
        while not run.snapshot().finished:
            run.join(0.5)
    except KeyboardInterrupt:
        interrupted = True
        print("stopping: finished points are kept", file=sys.stderr)
        run.stop()
        run.join()
    snap = run.snapshot()
    wall = time.perf_counter() - start
    shutdown_ray()
    if snap.error.startswith("--metric"):
        print(f"error: {snap.error}", file=sys.stderr)
        return 2
    if snap.state == "failed" and not snap.engine:  # it never started: no table to show
        print(f"error: {snap.error}", file=sys.stderr)
        return 1
    rows = tabulate(plan, snap.records)
    if args.csv:
        text = csv_table(plan, rows)
        sys.stdout.write(text) if args.csv == "-" else Path(args.csv).write_text(text)
    if args.json:
        print(json.dumps(_as_json(plan, snap, rows, wall), indent=1, allow_nan=False))
    elif args.csv != "-":
        print(_summary(plan, snap, wall))
        print(markdown_table(plan, rows))
        for r in snap.records:
            if r["status"] == "failed":
                print(f"failed: {_describe_point(r)} after {r['attempts']} attempt(s): "
                      f"{r['error']}")
    if snap.note:
        print(f"note: {snap.note}", file=sys.stderr)
    if snap.error:
        print(f"error: {snap.error}", file=sys.stderr)
    if interrupted:
        return 130
    return 0 if snap.state == "done" and snap.failed == 0 else 1


def _summary(plan, snap, wall: float) -> str:
    combos, seeds = len(plan.combos()), len(plan.seeds)
    trained = sum(r.get("wall_s") or 0.0 for r in snap.records[snap.resumed:]
                  if r["status"] == "ok")  # resumed points come first
    where = f" Ran on: {snap.where}." if snap.where else ""
    return (f"{plan.lab}{' — ' + plan.name if plan.name else ''}: {snap.done} of {snap.total} "
            f"points ({combos} combination{'s' * (combos != 1)} x {seeds} "
            f"seed{'s' * (seeds != 1)}), {snap.failed} failed, {snap.resumed} resumed; "
            f"{snap.state} after {wall:.1f} s wall, {trained:.1f} s of training summed over "
            f"the points run now.{where}")


def _as_json(plan, snap, rows, wall: float) -> dict:
    return {"lab": plan.lab, "name": plan.name, "metric": plan.metric,
            "vary": {k: list(v) for k, v in plan.vary}, "seeds": list(plan.seeds),
            "overrides": plan.overrides, "engine": snap.engine, "where": snap.where,
            "state": snap.state, "note": snap.note, "error": snap.error, "wall_s": wall,
            "total": snap.total, "done": snap.done, "failed": snap.failed,
            "resumed": snap.resumed, "rows": rows, "points": snap.records}
