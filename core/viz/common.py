"""Figures every lab shares: the live loss curve and a consistent look."""
from __future__ import annotations

import altair as alt
import pandas as pd
import plotly.graph_objects as go

from core.viz.palette import OKABE_ITO

# series no lab named take the colour-blind-safe set in order (core/viz/palette.py)
PALETTE = OKABE_ITO
MAX_POINTS = 400  # per series; the live chart redraws often, so keep it light


WAITING = "waiting for the first measurement…"


def placeholder(fig: go.Figure, text: str = WAITING, xref: str = "paper",
                yref: str = "paper") -> go.Figure:
    """The note in the middle of a figure that has nothing to draw yet (by default: no
    measurement has arrived), the same on every lab's figures."""
    fig.add_annotation(text=text, showarrow=False, xref=xref, yref=yref, x=0.5, y=0.5)
    return fig


def legend_entry(fig: go.Figure, name: str, *, dash: str | None = None, color: str,
                 swatch_opacity: float | None = None) -> go.Figure:
    """Name a reference line or a shaded band (drawn as a shape, which spans the axes, log
    ones included) in the legend rather than by a label inside the plot: the curves ran
    through such labels ("marked symbol", "causal bound", "vocabulary ends"). A trace with no
    points shows only its legend entry: a line in the shape's dash, or for a band
    (`swatch_opacity`) a square of its fill."""
    if swatch_opacity is None:
        look = dict(mode="lines", line=dict(dash=dash, color=color, width=1.5))
    else:
        look = dict(mode="markers", marker=dict(symbol="square", size=13, color=color,
                                                opacity=swatch_opacity))
    fig.add_trace(go.Scatter(x=[None], y=[None], name=name, hoverinfo="skip", **look))
    return fig


TOP_LABEL_PX = 20  # a line of subplot title at plotly's 16 px
TITLE_LINE_CHARS = 42  # what a phone's 360 pixels show of a title at plotly's title size


def style(fig: go.Figure, title: str, x: str, y: str, height: int = 320) -> go.Figure:
    """Title, axis titles and height, in the look every figure shares. A long title wraps
    onto a second line (plotly never wraps one: a phone cut it off), and the plot makes room
    for it. The legend sits at the foot of the figure, under the x-axis title: placed against
    the plot instead, it covered that title whenever the plot was short (a phone)."""
    # standing on the plot's top edge, with the margin grown to hold it: at plotly's default
    # place a two-line title grew upward out of the figure, and the page cut its first
    # line off (anchoring it at the figure's top edge did the same)
    # Labels standing on the plot's top edge (a top row's subplot titles) would sit under
    # the title: it is lifted above them; otherwise it keeps a few pixels off a label that
    # hangs inside the plot from that edge (its descenders touched the anomaly kinds).
    on_top = max([(a.text or "").count("<br>") + 1 for a in fig.layout.annotations
                  if a.yref == "paper" and a.yanchor == "bottom" and (a.y or 0) >= 0.99],
                 default=0)
    fig.update_layout(title=dict(text=wrap_title(title), automargin=True, yref="paper", y=1,
                                 yanchor="bottom", pad=dict(b=6 + TOP_LABEL_PX * on_top)),
                      xaxis_title=x, yaxis_title=y, height=height,
                      margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", yref="container", y=0, yanchor="bottom",
                                  x=0))
    return fig


def wrap_title(title: str, width: int = TITLE_LINE_CHARS) -> str:
    """Break a long title at the space nearest its middle (plotly's line break is <br>)."""
    if len(title) <= width or "<br>" in title:
        return title
    spaces = [i for i, c in enumerate(title) if c == " "]
    if not spaces:
        return title
    cut = min(spaces, key=lambda i: abs(i - len(title) / 2))
    return title[:cut] + "<br>" + title[cut + 1:]


def thin_points(points: list) -> list:
    stride = max(1, len(points) // MAX_POINTS)
    return points[::stride] + ([points[-1]] if len(points) % stride != 1 and stride > 1 else [])


def live_loss_chart(history: list[dict], height: int = 260,
                    colors: dict | None = None) -> alt.Chart:
    """Training loss against step, one line per series (a run may train several models).

    Vega-Lite rather than plotly: it draws the first frame sooner, which is what a live
    chart that appears right after Train needs; the result figures use plotly."""
    rows = []
    series: dict[str, list] = {}
    for entry in history:
        if "loss" in entry and entry["loss"] is not None and entry["loss"] > 0:
            series.setdefault(str(entry.get("series", "loss")), []).append(entry)
    for name, points in series.items():
        rows += [{"step": p["step"], "loss": p["loss"], "model": name} for p in thin_points(points)]
    data = pd.DataFrame(rows, columns=["step", "loss", "model"])
    # the headline figure beside it colours each model its own way: use the same colours
    names = list(series)
    palette = [(colors or {}).get(n, PALETTE[i % len(PALETTE)]) for i, n in enumerate(names)]
    return (alt.Chart(data, title="Training loss (live)", height=height)
            .mark_line()
            .encode(x=alt.X("step:Q", title="training step"),
                    y=alt.Y("loss:Q", title="loss (log scale)", scale=alt.Scale(type="log")),
                    color=alt.Color("model:N", title=None,
                                    scale=alt.Scale(domain=names, range=palette),
                                    legend=alt.Legend(orient="top", direction="horizontal"))))
