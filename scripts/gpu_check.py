"""Every lab on a GPU against the same labs on the CPU, in one run.

    python3 scripts/gpu_check.py --json gpu_check.json        # every lab, a few minutes on a GPU
    python3 scripts/gpu_check.py --quick --labs gradients,paths

For each lab, first on the chosen device and then on the CPU: the lab's smoke settings, its
default demo (left out by --quick), every study once at smoke size (left out by --quick), and
an export of the smoke run's weights to safetensors read back into the same models. The table
gives per lab: whether every piece ran and every success criterion that holds on the CPU holds
on the device, the headline picture (LabSpec.picture) on both, seconds to success and wall
time on both, and every scalar metric of the default demo (the smoke run under --quick) that
differs from its CPU value by more than the tolerance below. The numbers need not be equal:
the device's kernels sum in another order, so trained weights drift apart.

On a machine without the device it says so, runs the CPU path alone and exits 0 when that
ran; otherwise it exits 1 when any piece failed on either device or a success criterion held
on the CPU but not on the device. --budget-s bounds the whole check: pieces that would start
after it are reported as skipped.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from core.device import configure_threads, device_label, exit_process, pick_device  # noqa: E402
from core.export import load_weights, trained_modules, weights_bytes  # noqa: E402
from core.labs import all_labs  # noqa: E402

# A metric "differs" when |device - cpu| > ABS_TOLERANCE + REL_TOLERANCE * |cpu|: a quarter of
# the CPU value, with 0.05 of slack for metrics near zero (accuracies, ratios, losses here are
# all O(0.01)-O(10), where training-order noise between two devices stays inside this band).
REL_TOLERANCE = 0.25
ABS_TOLERANCE = 0.05
PIECES = ("smoke", "demo", "studies", "export")


def differs(device_value: float, cpu_value: float) -> bool:
    return abs(device_value - cpu_value) > ABS_TOLERANCE + REL_TOLERANCE * abs(cpu_value)


def is_timing(name: str) -> bool:
    """Clock readings differ between devices by design; they have their own columns."""
    return "seconds" in name or name.endswith(("_s", "_ms", "per_s")) or "wall" in name


def scalar_metrics(metrics: dict) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


def metric_differences(device_metrics: dict, cpu_metrics: dict) -> list[dict]:
    device_scalars, cpu_scalars = scalar_metrics(device_metrics), scalar_metrics(cpu_metrics)
    return [{"metric": k, "device": device_scalars[k], "cpu": cpu_scalars[k]}
            for k in sorted(set(device_scalars) & set(cpu_scalars))
            if not is_timing(k) and differs(device_scalars[k], cpu_scalars[k])]


def summarise(lab, result) -> dict:
    to_success = result.metrics.get("seconds_to_success")
    if to_success is None and result.success:
        to_success = result.wall_s
    picture = result.metrics.get(lab.picture[0]) if lab.picture else None
    return {"success": bool(result.success), "status": result.status, "steps": result.steps,
            "wall_s": result.wall_s, "seconds_to_success": to_success,
            "picture": picture if isinstance(picture, (int, float)) else None,
            "metrics": scalar_metrics(result.metrics)}


def export_round_trip(result, device: torch.device) -> dict:
    """Weights out to safetensors and back: the file is the same after the round trip, and
    the models stay on the device they trained on."""
    modules = trained_modules(result)
    if not modules:
        return {"ok": True, "tensors": 0, "note": "this lab leaves no trained model"}
    data = weights_bytes(modules)
    count = load_weights(modules, data)
    same = weights_bytes(modules) == data
    on_device = all(p.device.type == device.type
                    for m in modules.values() for p in m.parameters())
    return {"ok": same and on_device, "tensors": count, "bytes": len(data),
            "same_after_round_trip": same, "models_on_device": on_device}


def _error(exc: BaseException) -> dict:
    text = f"{type(exc).__name__}: {exc}"
    return {"error": text if len(text) <= 300 else text[:300] + "…",
            "traceback": traceback.format_exc(limit=8)}


class Budget:
    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds

    def spent(self) -> bool:
        return time.monotonic() > self.deadline


def run_phase(lab, device_name: str, quick: bool, budget: Budget) -> dict:
    """Every piece of one lab on one device (RNNLAB_DEVICE is read on every pick_device)."""
    os.environ["RNNLAB_DEVICE"] = device_name
    device = pick_device()
    phase: dict = {"device": device_label(device), "device_type": device.type}
    if device.type != torch.device(device_name).type:
        phase["error"] = f"asked for {device_name}, the labs would run on {device.type}"
        return phase
    wanted = ("smoke", "export") if quick else PIECES
    smoke_result = None
    for piece in wanted:
        if budget.spent():
            phase[piece] = {"skipped": "time budget spent"}
            continue
        started = time.perf_counter()
        try:
            if piece == "smoke":
                smoke_result = lab.run(lab.make_config(lab.smoke))
                phase[piece] = summarise(lab, smoke_result)
            elif piece == "demo":
                phase[piece] = summarise(lab, lab.run(lab.make_config({})))
            elif piece == "studies":
                phase[piece] = {study.name: summarise(lab, study.run(lab.make_config(lab.smoke)))
                                for study in lab.studies}
            elif smoke_result is not None:
                phase[piece] = export_round_trip(smoke_result, device)
            else:
                phase[piece] = {"skipped": "the smoke run did not finish"}
        except Exception as exc:  # one lab's failure is a row of the table, not the end
            phase[piece] = _error(exc)
        phase[piece]["piece_s"] = time.perf_counter() - started
    return phase


def phase_problems(phase: dict) -> list[str]:
    problems = [phase["error"]] if "error" in phase else []
    for piece in PIECES:
        entry = phase.get(piece) or {}
        if "error" in entry:
            problems.append(f"{piece}: {entry['error']}")
        elif piece == "export" and entry and "ok" in entry and not entry["ok"]:
            problems.append(f"export: {entry}")
    return problems


def compare(lab_id: str, device_phase: dict | None, cpu_phase: dict) -> dict:
    """One row: what failed, which criteria hold on the CPU but not the device, and which
    metrics of the headline run (the demo, or the smoke run under --quick) differ."""
    row = {"lab": lab_id, "cpu": cpu_phase, "device": device_phase,
           "problems": [f"cpu {p}" for p in phase_problems(cpu_phase)]}
    if device_phase is None:
        row["ok"] = not row["problems"]
        return row
    row["problems"] += [f"device {p}" for p in phase_problems(device_phase)]
    criteria = []
    for piece in ("smoke", "demo"):
        d, c = device_phase.get(piece) or {}, cpu_phase.get(piece) or {}
        if c.get("success") and d.get("success") is False:
            criteria.append(piece)
    for name, c in (cpu_phase.get("studies") or {}).items():
        d = (device_phase.get("studies") or {}).get(name)
        if isinstance(c, dict) and isinstance(d, dict) and c.get("success") \
                and d.get("success") is False:
            criteria.append(f"study {name}")
    row["criteria_lost"] = criteria
    headline = "demo" if "success" in (cpu_phase.get("demo") or {}) else "smoke"
    d, c = device_phase.get(headline) or {}, cpu_phase.get(headline) or {}
    row["headline_run"] = headline
    row["differences"] = (metric_differences(d["metrics"], c["metrics"])
                          if "metrics" in d and "metrics" in c else [])
    row["ok"] = not row["problems"] and not criteria
    return row


def _number(value, digits: str = ".1f") -> str:
    return "—" if value is None else format(value, digits)


def markdown(report: dict) -> str:
    rows = report["rows"]
    lines = [f"device: {report['device']}, against {report['cpu']}; torch {report['torch']}; "
             f"tolerance |device − cpu| ≤ {ABS_TOLERANCE} + {REL_TOLERANCE} |cpu|", "",
             "| lab | ok | headline picture (device / cpu) | s to success (device / cpu) | "
             "wall s (device / cpu) | export | beyond tolerance |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        cpu, dev = row["cpu"], row["device"] or {}
        head = row.get("headline_run", "demo" if "success" in (cpu.get("demo") or {}) else "smoke")
        c, d = cpu.get(head) or {}, dev.get(head) or {}
        export = (dev or cpu).get("export") or {}
        export_text = ("ok" if export.get("ok") else "skipped" if "skipped" in export
                       else "FAILED") + (f" ({export['tensors']} tensors)" if "tensors" in export
                                         else "")
        diffs = ", ".join(f"{x['metric']} {x['device']:.3g} vs {x['cpu']:.3g}"
                          for x in row.get("differences", [])) or "none"
        status = "yes" if row["ok"] else "NO: " + "; ".join(
            row["problems"] + [f"{c} succeeds on cpu only" for c in row.get("criteria_lost", [])])
        lines.append(
            f"| {row['lab']} ({head}) | {status} | {_number(d.get('picture'), '.3g')} / "
            f"{_number(c.get('picture'), '.3g')} | {_number(d.get('seconds_to_success'))} / "
            f"{_number(c.get('seconds_to_success'))} | {_number(d.get('wall_s'))} / "
            f"{_number(c.get('wall_s'))} | {export_text} | {diffs} |")
    return "\n".join(lines)


def resolve_device(asked: str) -> str | None:
    """The device to check, or None when this machine has none but the CPU."""
    if asked != "auto":
        return asked
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    return "mps" if mps is not None and mps.is_available() else None


def available(name: str) -> bool:
    kind = torch.device(name).type
    if kind == "cpu":
        return True
    if kind == "cuda":
        index = torch.device(name).index or 0
        return torch.cuda.is_available() and index < torch.cuda.device_count()
    mps = getattr(torch.backends, "mps", None)
    return kind == "mps" and mps is not None and mps.is_available()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 scripts/gpu_check.py",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto",
                        help="cuda, cuda:N, mps, cpu or auto (default: CUDA, else MPS)")
    parser.add_argument("--labs", default="", help="comma-separated lab ids (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke settings and the export only: no default demo, no studies")
    parser.add_argument("--budget-s", type=float, default=600.0,
                        help="pieces that would start later than this are skipped (default 600)")
    parser.add_argument("--json", metavar="PATH", help="also write the full report as JSON")
    args = parser.parse_args(argv)
    labs = all_labs()
    wanted = [name.strip() for name in args.labs.split(",") if name.strip()] or list(labs)
    unknown = [name for name in wanted if name not in labs]
    if unknown:
        print(f"error: unknown lab {unknown[0][:60]!r}; labs: {', '.join(labs)}", file=sys.stderr)
        return 2
    try:
        target = resolve_device(args.device)
        if target is not None:
            torch.device(target)
    except RuntimeError:
        print(f"error: --device {args.device[:40]!r} is not a device name", file=sys.stderr)
        return 2
    if target is not None and not available(target):
        print(f"No {target} on this machine: running the CPU path only.", file=sys.stderr)
        target = None
    elif target is None:
        print(f"No CUDA on this machine (torch {torch.__version__}, built for CUDA "
              f"{torch.version.cuda or 'none'}): running the CPU path only.", file=sys.stderr)
    configure_threads()
    saved_device = os.environ.get("RNNLAB_DEVICE")
    budget = Budget(args.budget_s)
    started = time.perf_counter()
    rows = []
    try:
        for name in wanted:
            device_phase = run_phase(labs[name], target, args.quick, budget) if target else None
            rows.append(compare(name, device_phase, run_phase(labs[name], "cpu", args.quick,
                                                               budget)))
            print(f"{name}: {'ok' if rows[-1]['ok'] else 'problems'}", file=sys.stderr)
    finally:
        if saved_device is None:
            os.environ.pop("RNNLAB_DEVICE", None)
        else:
            os.environ["RNNLAB_DEVICE"] = saved_device
    report = {"device": device_label(torch.device(target)) if target else "none (CPU only)",
              "cpu": device_label(torch.device("cpu")), "torch": torch.__version__,
              "quick": args.quick, "tolerance": {"rel": REL_TOLERANCE, "abs": ABS_TOLERANCE},
              "wall_s": time.perf_counter() - started, "rows": rows,
              "ok": all(row["ok"] for row in rows)}
    print(markdown(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, allow_nan=False))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    exit_process(main())
