"""A sweep's curve: the metric's mean over seeds against the first varied knob, a band of
one spread either side, every seed's value as a faint dot, one line per value of the second
knob. Drawn from the table (core.sweep.table.tabulate), so it grows as points finish.

A metric that is a fraction (an accuracy, a rate, success) keeps its axis on [0, 1]: the band
of mean ± spread is clipped there, since no seed can score outside it."""
from __future__ import annotations

import plotly.graph_objects as go

from core.viz.common import PALETTE, placeholder, style


FRACTIONS = ("accuracy", "rate", "success", "share")


def is_fraction(metric: str, rows: list[dict]) -> bool:
    """A metric named as a fraction whose every measured value lies in [0, 1]."""
    values = [v for r in rows for v in r["values"] if v is not None]
    last = metric.rsplit(".", 1)[-1]
    return (any(word in last for word in FRACTIONS)
            and all(0.0 <= v <= 1.0 for v in values))


def sweep_curve(rows: list[dict], knobs: list[str], metric: str, done: int = 0,
                total: int = 0, labels: dict | None = None) -> go.Figure:
    """`labels` maps raw knob and metric names to the words the axes and legend show."""
    labels = labels or {}
    fraction = is_fraction(metric, rows)
    clip = (lambda v: min(max(v, 0.0), 1.0)) if fraction else (lambda v: v)
    x_knob = knobs[0]
    group_knob = knobs[1] if len(knobs) > 1 else None
    groups: dict = {}
    for row in rows:
        groups.setdefault(row[group_knob] if group_knob else None, []).append(row)
    numeric = all(isinstance(r[x_knob], (int, float)) and not isinstance(r[x_knob], bool)
                  for r in rows)
    fig = go.Figure()
    for i, (group, members) in enumerate(groups.items()):
        colour = PALETTE[i % len(PALETTE)]
        name = (f"{labels.get(group_knob, group_knob)} = {group}" if group_knob
                else labels.get(metric, metric))
        xs = [r[x_knob] if numeric else str(r[x_knob]) for r in members]
        means = [r["mean"] for r in members]
        upper = [None if r["mean"] is None else clip(r["mean"] + (r["spread"] or 0.0))
                 for r in members]
        lower = [None if r["mean"] is None else clip(r["mean"] - (r["spread"] or 0.0))
                 for r in members]
        fig.add_trace(go.Scatter(x=xs + xs[::-1], y=upper + lower[::-1], fill="toself",
                                 fillcolor=colour, opacity=0.15, line=dict(width=0),
                                 hoverinfo="skip", showlegend=False))
        fig.add_trace(go.Scatter(x=xs, y=means, mode="lines+markers", name=name,
                                 line=dict(color=colour)))
        dots_x = [x for x, r in zip(xs, members) for v in r["values"] if v is not None]
        dots_y = [v for r in members for v in r["values"] if v is not None]
        fig.add_trace(go.Scatter(x=dots_x, y=dots_y, mode="markers", showlegend=False,
                                 marker=dict(color=colour, size=5, opacity=0.45),
                                 hovertemplate=f"{x_knob}=%{{x}}<br>{metric}=%{{y:.4g}}"
                                               "<extra>one seed</extra>"))
    progress = f" — {done} of {total} points" if total else ""
    if not rows or all(r["mean"] is None for r in rows):
        placeholder(fig, "waiting for the first point…")
    x_name, y_name = labels.get(x_knob, x_knob), labels.get(metric, metric)
    if fraction:
        fig.update_yaxes(range=[-0.02, 1.02])
    return style(fig, f"{y_name} against {x_name}: mean ± spread over seeds (measured)"
                      f"{progress}", x_name, y_name, height=360)
