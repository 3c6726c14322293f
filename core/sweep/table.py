"""A sweep's points, tabulated: one row per combination, mean and spread over seeds.

spread is the sample standard deviation s = sqrt(sum (x_i - mean)^2 / (n - 1)) over the seeds
that produced a value (Bessel's correction: the seeds are a sample of all seeds); with one
value there is no spread. The error bar of the mean is s / sqrt(n), reported as `sem`.
"""
from __future__ import annotations

import csv
import io
import math

from core.sweep_spec import point_key


def mean_and_spread(values: list[float]) -> tuple[float | None, float | None]:
    n = len(values)
    if n == 0:
        return None, None
    mean = math.fsum(values) / n
    if n == 1:
        return mean, None
    return mean, math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))


def tabulate(plan, records: list[dict], metric: str | None = None) -> list[dict]:
    """Rows in the plan's grid order: the combination's knob values, n (seeds with a value),
    mean, spread, sem, values (one per seed, None where the point failed, is missing, or
    did not report the metric) and failed (points that failed)."""
    metric = metric or plan.metric
    by_key = {r["key"]: r for r in records}
    rows = []
    for combo in plan.combos():
        values, failed = [], 0
        for seed in plan.seeds:
            rec = by_key.get(point_key(combo, seed))
            if rec is not None and rec["status"] == "failed":
                failed += 1
            ok = rec is not None and rec["status"] == "ok"
            values.append(rec["metrics"].get(metric) if ok else None)
        present = [v for v in values if v is not None]
        mean, spread = mean_and_spread(present)
        sem = spread / math.sqrt(len(present)) if spread is not None else None
        rows.append({**combo, "n": len(present), "mean": mean, "spread": spread, "sem": sem,
                     "values": values, "failed": failed})
    return rows


def _num(value) -> str:
    if value is None:
        return "—"
    return f"{value:.4g}"


def markdown_table(plan, rows: list[dict], metric: str | None = None) -> str:
    metric = metric or plan.metric
    headers = plan.knobs + ["n", f"mean {metric}", "spread", "values"]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        cells = [str(row[k]) for k in plan.knobs] + [
            str(row["n"]) + (f" ({row['failed']} failed)" if row["failed"] else ""),
            _num(row["mean"]), _num(row["spread"]),
            ", ".join(_num(v) for v in row["values"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def csv_table(plan, rows: list[dict], metric: str | None = None) -> str:
    """One row per combination; one column per seed holds that seed's value."""
    metric = metric or plan.metric
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(plan.knobs + ["metric", "n", "mean", "spread", "sem", "failed"]
                    + [f"seed_{s}" for s in plan.seeds])
    for row in rows:
        writer.writerow([row[k] for k in plan.knobs]
                        + [metric, row["n"], _blank(row["mean"]), _blank(row["spread"]),
                           _blank(row["sem"]), row["failed"]]
                        + [_blank(v) for v in row["values"]])
    return out.getvalue()


def _blank(value):
    return "" if value is None else repr(value)
