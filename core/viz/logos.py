"""Sequence logos drawn with plotly: each base a filled letter shape p_b · IC bits tall,
stacked with the tallest on top (the usual logo convention), in the usual colours."""
from __future__ import annotations

import math

import plotly.graph_objects as go

from core.viz import palette as pal

# one Okabe–Ito colour per base: no two differ by red and green alone
BASE_COLORS = {"A": pal.BLUISH_GREEN, "C": pal.BLUE, "G": pal.ORANGE, "T": pal.VERMILLION}


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float,
         n: int = 18) -> list:
    return [(cx + rx * math.cos(math.radians(start + (end - start) * i / n)),
             cy + ry * math.sin(math.radians(start + (end - start) * i / n)))
            for i in range(n + 1)]


def _glyphs() -> dict:
    """Each letter as polygons in the unit box (x, y in [0, 1]); a hole is a polygon wound
    the other way, which plotly's non-zero fill leaves empty."""
    a = [[(0, 0), (0.22, 0), (0.32, 0.28), (0.68, 0.28), (0.78, 0), (1, 0), (0.6, 1),
          (0.4, 1)],
         [(0.38, 0.44), (0.5, 0.78), (0.62, 0.44)]]
    c = [_arc(0.5, 0.5, 0.5, 0.5, 40, 320) + _arc(0.5, 0.5, 0.28, 0.3, 320, 40)]
    g = [_arc(0.5, 0.5, 0.5, 0.5, 40, 360) + [(0.52, 0.5), (0.52, 0.34)]
         + _arc(0.5, 0.5, 0.28, 0.3, 340, 40)]
    t = [[(0, 1), (1, 1), (1, 0.8), (0.6, 0.8), (0.6, 0), (0.4, 0), (0.4, 0.8), (0, 0.8)]]
    return {"A": a, "C": c, "G": g, "T": t}


GLYPHS = _glyphs()


def add_logo(fig: go.Figure, heights: list, row: int | None = None, col: int | None = None,
             x_offset: int = 0) -> None:
    """Draw a logo from per-position letter heights [[h_A, h_C, h_G, h_T], ...] (bits).

    Letters are filled polygons, one scatter trace per base (its polygons separated by gaps):
    a few traces instead of one layout shape per letter, which plotly re-validates one by one
    (a second per logo). A letter's hole is in its letter's trace, wound the other way: plotly
    draws a trace as one path, and the non-zero fill leaves the hole empty, so the page's
    background shows through in either theme (a hole painted white was a white blob on
    the dark theme)."""
    outlines = {base: ([], []) for base in "ACGT"}
    for pos, column in enumerate(heights):
        y = 0.0
        for base, h in sorted(zip("ACGT", column), key=lambda item: item[1]):
            if h <= 1e-3:
                continue
            xs, ys = outlines[base]
            for polygon in GLYPHS[base]:
                for px, py in polygon + polygon[:1]:
                    xs.append(pos + x_offset + 0.55 + px * 0.9)
                    ys.append(y + py * h)
                xs.append(None)
                ys.append(None)
            y += h
    for base, (xs, ys) in outlines.items():
        if xs:
            fig.add_trace(go.Scatter(x=xs, y=ys, fill="toself", mode="lines", line_width=0,
                                     fillcolor=BASE_COLORS[base], hoverinfo="skip",
                                     showlegend=False, name=base), row=row, col=col)
    # invisible points give a hover readout per position
    fig.add_trace(go.Scatter(
        x=[p + x_offset + 1 for p in range(len(heights))],
        y=[sum(c) for c in heights], mode="markers", marker_opacity=0, showlegend=False,
        hovertemplate="position %{x}: %{y:.2f} bits<extra></extra>"),
        row=row, col=col)
