"""Figures every lab shares: the live loss curve and a consistent look."""
from __future__ import annotations

import plotly.graph_objects as go

MAX_POINTS = 400  # per series; the live chart redraws often, so keep it light


def style(fig: go.Figure, title: str, x: str, y: str, height: int = 320) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, height=height,
                      margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25))
    return fig


def _thin(points: list) -> list:
    stride = max(1, len(points) // MAX_POINTS)
    return points[::stride] + ([points[-1]] if len(points) % stride != 1 and stride > 1 else [])


def live_loss_figure(history: list[dict]) -> go.Figure:
    """Training loss against step, one line per series (a run may train several models)."""
    series: dict[str, list] = {}
    for entry in history:
        if "loss" in entry:
            series.setdefault(str(entry.get("series", "loss")), []).append(entry)
    fig = go.Figure()
    for name, points in series.items():
        points = _thin(points)
        fig.add_trace(go.Scatter(x=[p["step"] for p in points], y=[p["loss"] for p in points],
                                 mode="lines", name=name))
    fig.update_yaxes(type="log")
    return style(fig, "Training loss (live)", "training step", "loss (log scale)", height=280)
