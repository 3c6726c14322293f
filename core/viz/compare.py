"""A/B figures for any lab: two Results overlaid, the changed knobs named in the legend."""
from __future__ import annotations

import plotly.graph_objects as go

from core.viz.common import thin_points, style


def changed_knobs(a: dict, b: dict) -> dict:
    return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}


def run_labels(a, b) -> tuple[str, str]:
    changed = changed_knobs(a.config, b.config)
    if not changed:
        return "A (same settings)", "B (same settings)"
    if len(changed) == 1:
        (k, (va, vb)), = changed.items()
        return f"A: {k}={va}", f"B: {k}={vb}"
    return f"A ({len(changed)} knobs differ)", f"B ({len(changed)} knobs differ)"


def loss_overlay(a, b) -> go.Figure:
    fig = go.Figure()
    for result, label, dash in ((a, run_labels(a, b)[0], "dot"), (b, run_labels(a, b)[1], None)):
        series: dict[str, list] = {}
        for entry in result.history:
            if "loss" in entry:
                series.setdefault(str(entry.get("series", "")), []).append(entry)
        for name, points in series.items():
            points = thin_points(points)
            fig.add_trace(go.Scatter(x=[p["step"] for p in points],
                                     y=[p["loss"] for p in points], mode="lines",
                                     line=dict(dash=dash),
                                     name=f"{label} {name}".strip()))
    fig.update_yaxes(type="log")
    return style(fig, "Training loss, A vs B", "training step", "loss (log scale)")


def curve_metrics(a, b) -> list[str]:
    """Metrics both runs report as a list of numbers or a mapping to numbers."""
    names = []
    for name, va in a.metrics.items():
        vb = b.metrics.get(name)
        if _curve(va) is not None and _curve(vb) is not None and len(_curve(va)[0]) > 1:
            names.append(name)
    return names


def _curve(value):
    if isinstance(value, list) and value and all(isinstance(v, (int, float)) or v is None
                                                 for v in value):
        return list(range(1, len(value) + 1)), value
    if isinstance(value, dict) and value and all(isinstance(v, (int, float)) or v is None
                                                 for v in value.values()):
        return list(value.keys()), list(value.values())
    return None


def metric_overlay(a, b, name: str) -> go.Figure:
    fig = go.Figure()
    for result, label in zip((a, b), run_labels(a, b)):
        x, y = _curve(result.metrics[name])
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", name=label))
    x_title = "position in the list" if isinstance(a.metrics[name], list) else "key"
    return style(fig, f"{name}, A vs B", x_title, name)


def scalar_table(a, b) -> list[dict]:
    rows = []
    for name, va in a.metrics.items():
        vb = b.metrics.get(name)
        if isinstance(va, (int, float)) and isinstance(vb, (int, float)) \
                and not isinstance(va, bool):
            rows.append({"metric": name, "A": va, "B": vb})
    rows.append({"metric": "success", "A": float(a.success), "B": float(b.success)})
    return rows
