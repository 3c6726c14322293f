"""Figures for the Language lab: pure functions of live data or a Result to plotly."""
from __future__ import annotations

import html
import textwrap

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.viz import palette as pal
from core.viz.common import style

COLORS = {name: pal.color(name) for name in ("lstm", "gru", "rnn")}
DASHES = {name: pal.series(name).dash for name in ("lstm", "gru", "rnn")}
NGRAM_COLOR = pal.REFERENCE
# the n-gram to beat and the uniform line stand out from the other references, on either theme
TARGET_COLOR = pal.REDDISH_PURPLE
SAMPLE_WIDTH = 76  # characters per line of the sample: fits the headline at 1280 px wide
SAMPLE_LINES = 2


def model_label(name: str, data: dict) -> str:
    """A model's legend entry: its cell, parameter count and steps trained."""
    steps = (data.get("step") or [0])[-1]
    return f"{name} ({data.get('parameters', 0):,} params, {steps} steps)"


def sample_markup(text: str, width: int = SAMPLE_WIDTH, lines: int = SAMPLE_LINES) -> str:
    """A sample as the figure shows it: line breaks and tabs made visible, escaped, wrapped."""
    flat = text.replace("\n", "↵").replace("\t", "→")
    rows = textwrap.wrap(flat, width, drop_whitespace=False, replace_whitespace=False)[:lines]
    return "<br>".join(html.escape(r) for r in rows) or "…"


def _label_spots(lines: list, first_label: str, gap: float) -> set:
    """Which lines get a text label: the n-gram the run must beat first, then the others in
    order, each only if it is at least `gap` from every label drawn (no overlapping text)."""
    order = sorted(lines, key=lambda line: line[0] != first_label)
    drawn: list = []
    for name, bits in order:
        if all(abs(bits - other) >= gap for _, other in drawn):
            drawn.append((name, bits))
    return {name for name, _ in drawn}


def _baselines(fig: go.Figure, first: dict, steps_end: int, top: float) -> None:
    """The n-gram lines and log2 V, labelled at their right end where the labels do not
    collide (every value is in the hover); the n-gram the run must beat is drawn darker."""
    target = f"{first.get('success_ngram')}-gram"
    lines = [(f"{n}-gram", b) for n, b in sorted(first.get("ngram_bits", {}).items())]
    labelled = _label_spots(lines, target, gap=0.08 * top)
    if first.get("uniform_bits") is not None:
        lines.append(("uniform log2 V", first["uniform_bits"]))
        labelled.add("uniform log2 V")
    for i, (name, bits) in enumerate(lines):
        uniform, beat = name.startswith("uniform"), name == target
        label = f"{name} {bits:.2f}" + (" (to beat)" if beat else "")
        fig.add_scatter(x=[0, steps_end], y=[bits, bits], mode="lines+text",
                        text=["", label if name in labelled else ""], textposition="top left",
                        textfont=dict(size=10, color=TARGET_COLOR if beat else NGRAM_COLOR),
                        line=dict(color=TARGET_COLOR if uniform or beat else NGRAM_COLOR,
                                  width=1.5 if beat else 1,
                                  dash="dash" if uniform else "dot"),
                        name="n-gram lines, exact counts" if not uniform else name,
                        hovertext=label, hoverinfo="text", legendgroup="baselines",
                        showlegend=i == 0, row=1, col=1)


def headline(live: dict, config: dict) -> go.Figure:
    """Left: held-out bits per character of each model while it trains, against the n-gram
    lines (counted on the same training text) and the uniform model's log2 V. Right: the
    predictive entropy against temperature at the latest measurement. Above both: the latest
    sample of the headline model at the chosen temperature."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.66, 0.34], horizontal_spacing=0.12)
    steps_end = max([int(config.get("steps", 0)) or 1]
                    + [(d.get("step") or [0])[-1] for d in live.values()])
    for name, data in live.items():
        style_line = dict(color=COLORS.get(name), dash=DASHES.get(name, "solid"))
        fig.add_scatter(x=data.get("step") or [], y=data.get("bits") or [],
                        mode="lines+markers", marker_size=4, name=model_label(name, data),
                        line=style_line, legendgroup=name, row=1, col=1)
        curve = data.get("entropy") or {}
        fig.add_scatter(x=curve.get("temperature") or [], y=curve.get("entropy_bits") or [],
                        mode="lines+markers", marker_size=4, showlegend=False,
                        name=f"{name} entropy", legendgroup=name, line=style_line,
                        row=1, col=2)
    first = next(iter(live.values()), {})
    top = 1.12 * max([first.get("uniform_bits") or 1.0]
                     + [max(d.get("bits") or [0]) for d in live.values()])
    _baselines(fig, first, steps_end, top)
    temperature = float(config.get("temperature", 1.0))
    fig.add_vline(x=temperature, line_dash="dot", line_color=pal.REFERENCE, row=1, col=2)
    sample = first.get("sample")
    caption = (f"{next(iter(live))} sample, T = {temperature:g}, step "
               f"{first.get('sample_step')}: " if sample
               else "a sample appears at each measurement")
    fig.add_annotation(text=f"<i>{html.escape(caption)}</i><br><span style='font-family:monospace'>"
                            f"{sample_markup(sample or '')}</span>",
                       xref="paper", yref="paper", x=0, y=1.03, xanchor="left",
                       yanchor="bottom", showarrow=False, align="left", font=dict(size=10))
    if not live:
        fig.add_annotation(text="waiting for the first measurement…", showarrow=False,
                           xref="x domain", yref="y domain", x=0.5, y=0.5)
    fig = style(fig, "Held-out bits per character (measured)", "", "")
    fig.update_xaxes(title_text="training step", range=[0, steps_end * 1.02], row=1, col=1)
    fig.update_yaxes(title_text="held-out bits/char", range=[0, top], row=1, col=1)
    fig.update_xaxes(title_text="temperature T", row=1, col=2)
    fig.update_yaxes(title_text="entropy (bits)", rangemode="tozero", row=1, col=2)
    fig.update_layout(margin=dict(l=10, r=10, t=78, b=10), title=dict(yref="container", y=0.98, yanchor="top"),
                      legend=dict(orientation="h", y=-0.3, x=0, yanchor="top"))
    return fig


COMPARE_PLOT_PX = 190  # its plot height, about: 360 px less the title and two-line labels
LABEL_GAP_PX = 19  # one line of annotation text and a pixel or two


def compare_figure(result) -> go.Figure:
    """Held-out bits per character of each trained cell, with its parameters and steps."""
    by_cell = result.metrics.get("by_cell", {})
    names = list(by_cell)
    fig = go.Figure(go.Bar(
        x=[f"{n}<br>{by_cell[n]['parameters']:,} params, {by_cell[n]['steps']} steps"
           for n in names],
        y=[by_cell[n]["held_out_bits"] for n in names],
        marker_color=[COLORS.get(n) for n in names],
        text=[f"{by_cell[n]['held_out_bits']:.3f}" for n in names], textposition="outside",
        name="held-out bits per char"))
    ngrams = sorted(result.metrics.get("ngram_bits", {}).items(), key=lambda kv: kv[1])
    top = 1.15 * max([b["held_out_bits"] for b in by_cell.values()]
                     + [bits for _, bits in ngrams] + [1e-9])
    # Each n-gram's label at the right end of its line, moved up just enough not to sit on
    # the label below it (close baselines, 2.20 and 2.29 bits, printed one over the other).
    gap = top * LABEL_GAP_PX / COMPARE_PLOT_PX
    label_y = -float("inf")
    for n, bits in ngrams:
        fig.add_hline(y=bits, line_dash="dot", line_color=NGRAM_COLOR)
        label_y = max(bits, label_y + gap)
        fig.add_annotation(text=f"{n}-gram {bits:.2f}", x=1, xref="paper", xanchor="left",
                           y=label_y, yanchor="middle", showarrow=False,
                           font=dict(color=NGRAM_COLOR))
    fig.update_yaxes(range=[0, top])
    fig.update_layout(showlegend=False, margin=dict(r=90))
    return style(fig, "Held-out bits per character by cell (measured; lower is better)",
                 "cell", "bits per char", height=360)


def entropy_figure(curves: dict, temperature: float) -> go.Figure:
    """Mean predictive entropy against temperature for each model (T → 0 is greedy)."""
    fig = go.Figure()
    for name, curve in curves.items():
        fig.add_scatter(x=curve["temperature"], y=curve["entropy_bits"], mode="lines+markers",
                        name=name, line=dict(color=COLORS.get(name),
                                             dash=DASHES.get(name, "solid")))
    fig.add_vline(x=temperature, line_dash="dot", line_color=pal.REFERENCE)
    return style(fig, "Predictive entropy against temperature (measured)", "temperature T",
                 "mean entropy (bits)")
