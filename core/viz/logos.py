"""Sequence logos drawn with plotly: each base a filled letter shape p_b · IC bits tall,
stacked with the tallest on top (the usual logo convention), in the usual colours."""
from __future__ import annotations

import math

import plotly.graph_objects as go

BASE_COLORS = {"A": "#109648", "C": "#255c99", "G": "#f7b32b", "T": "#d62839"}


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


def glyph_path(base: str, x0: float, y0: float, width: float, height: float) -> str:
    """An SVG path drawing `base` in the box [x0, x0 + width] × [y0, y0 + height]."""
    parts = []
    for polygon in GLYPHS[base]:
        points = [(x0 + px * width, y0 + py * height) for px, py in polygon]
        parts.append("M " + " L ".join(f"{x:.4f},{y:.4f}" for x, y in points) + " Z")
    return " ".join(parts)


def add_logo(fig: go.Figure, heights: list, row: int | None = None, col: int | None = None,
             x_offset: int = 0) -> None:
    """Draw a logo from per-position letter heights [[h_A, h_C, h_G, h_T], ...] (bits)."""
    refs = {}
    if row is not None:
        axis = fig.get_subplot(row, col)
        refs = {"xref": axis.xaxis.plotly_name.replace("axis", ""),
                "yref": axis.yaxis.plotly_name.replace("axis", "")}
    for pos, column in enumerate(heights):
        y = 0.0
        for base, h in sorted(zip("ACGT", column), key=lambda item: item[1]):
            if h <= 1e-3:
                continue
            fig.add_shape(type="path", path=glyph_path(base, pos + x_offset + 0.55, y, 0.9, h),
                          fillcolor=BASE_COLORS[base], line_width=0, **refs)
            y += h
    # invisible points give the axes their range and a hover readout per position
    fig.add_trace(go.Scatter(
        x=[p + x_offset + 1 for p in range(len(heights))],
        y=[sum(c) for c in heights], mode="markers", marker_opacity=0, showlegend=False,
        hovertemplate="position %{x}: %{y:.2f} bits<extra></extra>"),
        row=row, col=col)
