"""Figures for looking inside a char-level language model: the probe text coloured character
by character, the gate saturation scatter, the loss difference against an n-gram by distance
to the innermost open bracket or quote, and a hypothesis beside one cell's activation.

Pure plotly, no template set, so each figure follows the page's theme and exports as is.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.viz import palette as pal

from core.analysis.gate_saturation import GateSaturation

# a colour-blind-safe set (Okabe & Ito), one colour per role, blue/red for signed values
COLORS = {"activation": pal.BLUE, "hypothesis": pal.ORANGE, "model better": pal.BLUISH_GREEN,
          "n-gram better": pal.VERMILLION, "input": pal.BLUE, "forget": pal.ORANGE,
          "output": pal.BLUISH_GREEN, "reset": pal.REDDISH_PURPLE, "update": pal.SKY_BLUE,
          "reference": pal.REFERENCE}
SIGNED_SCALE = "RdBu"  # diverging, centred on 0: red below, blue above
LAYER_SYMBOLS = ("circle", "diamond", "square", "triangle-up", "x", "cross")
SHOWN = {"\n": "↵", "\t": "⇥", "<": "&lt;", ">": "&gt;", "&": "&amp;"}
LEGEND = dict(orientation="h", yanchor="top", y=-0.22, x=0)  # below the axis title


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, height=height,
                      legend=LEGEND, margin=dict(l=10, r=10, t=50, b=90))
    return fig


def shown_char(ch: str) -> str:
    """The character as drawn in its cell: whitespace made visible, markup escaped (plotly
    reads text as a small subset of HTML), other unprintable characters as a middle dot."""
    if ch in SHOWN:
        return SHOWN[ch]
    return ch if ch.isprintable() else "·"


def text_grid(text: str, width: int) -> list:
    """(row, column) of each character: lines split at newlines (the newline stays at the
    end of its line) and wrapped every `width` characters."""
    cells, row, col = [], 0, 0
    for ch in text:
        if col == width:
            row, col = row + 1, 0
        cells.append((row, col))
        row, col = (row + 1, 0) if ch == "\n" else (row, col + 1)
    return cells


def text_figure(text: str, values, title: str, value_label: str, width: int = 64,
                max_chars: int = 3000) -> go.Figure:
    """The text laid out as lines, one heatmap cell per character with the character drawn
    in it, coloured by its value (diverging, centred on 0, symmetric range)."""
    v = np.asarray(values, dtype=float)
    if v.shape != (len(text),):
        raise ValueError(f"{len(v)} values for a text of {len(text)} characters")
    if width < 1:
        raise ValueError("the line width must be at least one character")
    shown_text, v = text[:max_chars], v[:max_chars]
    if len(text) > max_chars:
        title = f"{title} (first {max_chars} of {len(text)} characters)"
    grid = text_grid(shown_text, width)
    rows = grid[-1][0] + 1 if grid else 1
    z = np.full((rows, width), np.nan)
    chars = np.full((rows, width), "", dtype=object)
    where = np.full((rows, width), -1)
    for t, (r, c) in enumerate(grid):
        z[r, c], chars[r, c], where[r, c] = v[t], shown_char(shown_text[t]), t
    finite = v[np.isfinite(v)]
    top = float(np.abs(finite).max()) if finite.size and np.abs(finite).max() > 0 else 1.0
    fig = go.Figure(go.Heatmap(
        z=z, text=chars, customdata=where, texttemplate="%{text}",
        textfont=dict(size=11), colorscale=SIGNED_SCALE, zmid=0, zmin=-top, zmax=top,
        xgap=1, ygap=1, hoverongaps=False, colorbar=dict(title=value_label),
        hovertemplate="position %{customdata}: '%{text}'<br>" + value_label
                      + " = %{z:.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", showticklabels=False, showgrid=False, zeroline=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    return _layout(fig, title, f"character in line (wrapped at {width})", "line",
                   height=min(1600, 60 + 18 * rows + 90))


def saturation_scatter(saturation: GateSaturation | None, title: str = "Gate saturation"):
    """Left-saturated fraction (gate < 0.1) against right-saturated fraction (gate > 0.9),
    one point per cell per gate (marker by layer), with the line left + right = 1 where a
    gate is saturated at every position. A tanh RNN has no gates: the figure says so."""
    fig = go.Figure()
    if saturation is None:
        fig.add_annotation(text="a tanh RNN has no gates to saturate", showarrow=False,
                           x=0.5, y=0.5, xref="paper", yref="paper")
    else:
        symbols = [LAYER_SYMBOLS[k % len(LAYER_SYMBOLS)] for k in saturation.layer]
        for name in saturation.left:
            fig.add_trace(go.Scatter(
                x=saturation.left[name], y=saturation.right[name], mode="markers", name=name,
                marker=dict(color=COLORS.get(name), symbol=symbols, size=7, opacity=0.8),
                customdata=np.stack([saturation.layer, saturation.unit], axis=1),
                hovertemplate=f"{name} gate, layer %{{customdata[0]}} unit %{{customdata[1]}}"
                              "<br>left %{x:.2f}, right %{y:.2f}<extra></extra>"))
        fig.add_trace(go.Scatter(x=[0, 1], y=[1, 0], mode="lines",
                                 name="saturated always (left + right = 1)",
                                 line=dict(color=COLORS["reference"], dash="dash")))
    fig.update_xaxes(range=[-0.02, 1.02])
    fig.update_yaxes(range=[-0.02, 1.02])
    return _layout(fig, title, "fraction of time left-saturated (< 0.1)",
                   "fraction right-saturated (> 0.9)", height=420)


def distance_bars(rows: list, ngram_name: str, stat: str = "mean") -> go.Figure:
    """The by-distance table of char_errors.by_distance as bars, `stat` "mean" or "sum" of
    model bits minus n-gram bits; below 0 the model is better. Empty buckets are left out."""
    if stat not in ("mean", "sum"):
        raise ValueError(f"stat must be 'mean' or 'sum', not {stat!r}")
    kept = [row for row in rows if row["count"]]
    fig = go.Figure()
    sides = ((f"model better than the {ngram_name}", "model better", lambda v: v < 0),
             (f"{ngram_name} better than the model", "n-gram better", lambda v: v >= 0))
    for name, role, better in sides:
        part = [row for row in kept if better(row[stat])]
        fig.add_trace(go.Bar(
            x=[row["bucket"] for row in part], y=[row[stat] for row in part],
            name=name, marker_color=COLORS[role],
            text=[f"n={row['count']}" for row in part], textposition="outside",
            hovertemplate="%{x}: %{y:.3f} bits (%{text})<extra></extra>"))
    fig.update_xaxes(type="category", categoryorder="array",
                     categoryarray=[row["bucket"] for row in kept])
    fig.add_hline(y=0, line=dict(color=COLORS["reference"], width=1))
    unit = "mean bits per character" if stat == "mean" else "total bits"
    return _layout(fig, f"Model minus {ngram_name}, by distance to the open bracket or quote",
                   "characters since the innermost open bracket or quote",
                   f"{unit}, model − n-gram", height=380)


def overlay(activation, hypothesis, cell_name: str, hypothesis_name: str,
            r: float | None = None, text: str | None = None) -> go.Figure:
    """One cell's activation (left axis) and a hypothesis (right axis) along the text,
    with Pearson's r in the title when given."""
    a, y = np.asarray(activation, dtype=float), np.asarray(hypothesis, dtype=float)
    if a.shape != y.shape or a.ndim != 1:
        raise ValueError(f"the activation ({a.size} values) and the hypothesis ({y.size}) "
                         "must be one value per character of the same text")
    x = np.arange(a.size)
    chars = [shown_char(ch) for ch in text] if text is not None and len(text) == a.size \
        else [""] * a.size
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=x, y=a, name=cell_name, mode="lines", customdata=chars,
                             line=dict(color=COLORS["activation"]),
                             hovertemplate="%{x} '%{customdata}': %{y:.3f}<extra></extra>"),
                  secondary_y=False)
    fig.add_trace(go.Scatter(x=x, y=y, name=hypothesis_name, mode="lines",
                             line=dict(color=COLORS["hypothesis"], dash="dot", shape="hv"),
                             hovertemplate="%{x}: %{y:.3f}<extra></extra>"), secondary_y=True)
    # its own range and ticks, not ones aligned to the activation's axis
    pad = 0.05 * (float(np.ptp(y)) or 1.0) if y.size else 0.05
    low, high = (float(y.min()) - pad, float(y.max()) + pad) if y.size else (0, 1)
    fig.update_yaxes(title_text=hypothesis_name, secondary_y=True, range=[low, high],
                     tickmode="auto", showgrid=False)
    title = f"{cell_name} against {hypothesis_name}"
    if r is not None:
        title += f" (Pearson r = {r:.2f})"
    return _layout(fig, title, "position in the probe text", f"{cell_name} activation",
                   height=340)
