"""Figures for the pointer lab: pure functions of a Result, of one decoded example, or (the
headline) of the live accuracy-by-length data a run sends while it trains."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.viz import palette as pal
from core.viz.common import legend_entry, placeholder, style
from core.viz.config_input import accepts_config

THEORY_COLOR = pal.REFERENCE
TRAINING_RANGE_COLOR = pal.REFERENCE
# One colour per trained model (arm name), shared by the live loss chart and every figure.
COLORS = pal.colors_for(("pointer", "vocab", "pointer · hungarian", "vocab · hungarian",
                         "pointer · fixed", "vocab · fixed"))


def _color(name: str) -> str | None:
    return COLORS.get(name)


def _by_length(mapping: dict) -> tuple[list[int], list[float]]:
    """Lengths and values of a {length: value} map, whether keys are ints or (after JSON)
    strings."""
    pairs = sorted((int(k), v) for k, v in mapping.items())
    return [n for n, _ in pairs], [v for _, v in pairs]


def _lengths_frame(fig: go.Figure, config: dict, vocab_shown: bool) -> None:
    """Shade the training lengths and, when a vocabulary decoder is drawn, mark where its
    vocabulary ends (it has classes 0..V-1 with V = the longest training input)."""
    lo, hi = int(config.get("min_len", 1)), int(config.get("max_len", 1))
    top = max(int(config.get("test_max_len", hi)), hi)
    fig.add_vrect(x0=lo - 0.5, x1=hi + 0.5, fillcolor=TRAINING_RANGE_COLOR, opacity=0.3,
                  line_width=0)
    legend_entry(fig, "training lengths", color=TRAINING_RANGE_COLOR, swatch_opacity=0.3)
    if vocab_shown and top > hi:
        fig.add_vline(x=hi + 0.5, line_dash="dot", line_color=COLORS["vocab"])
        legend_entry(fig, f"vocabulary ends (V = {hi})", dash="dot", color=COLORS["vocab"])
    fig.update_xaxes(range=[lo - 0.7, top + 0.7], dtick=1 if top - lo <= 20 else 5)
    fig.update_yaxes(range=[-0.03, 1.05])


@accepts_config
def headline(live: dict, config: dict) -> go.Figure:
    """Exact match against input length, one line per decoder trained: while training, on the
    held-out inputs of each decoder's latest measurement; at the end, on the test set. The
    training lengths are shaded; a vocabulary decoder scores 0 past its vocabulary, where a
    pointer's output still grows with the input."""
    fig = go.Figure()
    for name, data in live.items():
        where = ("test set" if data.get("measured_on") == "test"
                 else f"held-out, step {data.get('step')}")
        fig.add_trace(go.Scatter(x=data["lengths"], y=data["accuracy"], mode="lines+markers",
                                 name=f"{name} ({where})", line_color=_color(name)))
    # the vocabulary's end is marked as soon as a vocab decoder is part of the run
    vocab_shown = (any(name.startswith("vocab") for name in live)
                   or config.get("decoder") == "vocab" or config.get("compare_decoders"))
    _lengths_frame(fig, config, bool(vocab_shown))
    if not live:
        placeholder(fig)
    return style(fig, "Exact match by input length (measured)", "input length n",
                 "exact-match accuracy")


def valid_rate_by_length(result) -> go.Figure:
    """Fraction of decoded outputs that are valid (a permutation of the input positions;
    for sets, distinct positions inside the input), per length, for every decoder."""
    fig = go.Figure()
    for name, summary in result.metrics["comparison"].items():
        xs, ys = _by_length(summary.get("valid_rate_by_length") or {})
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name,
                                 line_color=_color(name)))
    _lengths_frame(fig, result.config, any(n.startswith("vocab")
                                           for n in result.metrics["comparison"]))
    return style(fig, "Valid outputs by input length (measured on the test set)",
                 "input length n", "fraction of valid outputs", height=360)


def distribution_heatmap(example: dict) -> go.Figure:
    """Output distribution at every decoding step; circles mark the target positions."""
    probs = example["probs"]
    width = len(probs[0]) if probs else 0
    n = len(example["values"])
    values = example.get("raw_values", example["values"])  # typed numbers as typed
    labels = [f"{i} ({values[i]:.3g})" if i < n else f"{i} (none)" for i in range(width)]
    steps = [f"step {t}" for t in range(len(probs))]
    fig = go.Figure(go.Heatmap(z=probs, x=labels, y=steps, colorscale="Blues", zmin=0, zmax=1,
                               colorbar={"title": "probability"},
                               hovertemplate="%{y}, %{x}: p = %{z:.3f}<extra></extra>"))
    target = example["target"]
    if example.get("is_set"):
        xs = [labels[j] for j in target if j < width for _ in steps]
        ys = [s for j in target if j < width for s in steps]
        name = "target set"
    else:
        pairs = [(labels[j], steps[t]) for t, j in enumerate(target) if j < width]
        xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
        name = "target"
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name=name,
                             marker={"symbol": "circle-open", "size": 14, "color": pal.ORANGE,
                                     "line": {"width": 2}}))
    what = "input position (value)" if example["decoder"] == "pointer" else \
        "vocabulary index (value at that position)"
    fig.update_layout(yaxis={"autorange": "reversed"})
    return style(fig, f"{example['decoder']} decoder: where each step puts its mass",
                 what, "decoding step", height=300 + 8 * len(probs))


def permutation_arrows(example: dict) -> go.Figure:
    """Input positions on top, output steps below; an arrow from the position each step
    emitted to that step, green when it matches the target (set membership for sets)."""
    emitted, target = example["emitted"], example["target"]
    values = example.get("raw_values", example["values"])
    n, K = len(values), len(emitted)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(range(n)), y=[1] * n, mode="markers+text",
                             text=[f"{v:.3g}" for v in values], textposition="top center",
                             marker={"size": 12, "color": pal.BLUE}, name="input"))
    fig.add_trace(go.Scatter(x=list(range(K)), y=[0] * K, mode="markers+text",
                             text=[f"t={t}" for t in range(K)], textposition="bottom center",
                             marker={"size": 12, "color": pal.REFERENCE}, name="output step"))
    for t, j in enumerate(emitted):
        right = (j in target) if example.get("is_set") else (t < len(target) and target[t] == j)
        inside = j < n
        fig.add_annotation(x=t, y=0.05, ax=min(j, n - 1), ay=0.95, xref="x", yref="y",
                           axref="x", ayref="y", showarrow=True, arrowhead=2, arrowwidth=2,
                           arrowcolor=pal.BLUISH_GREEN if right and inside else pal.VERMILLION)
    fig.update_layout(yaxis={"visible": False, "range": [-0.4, 1.4]}, showlegend=False)
    return style(fig, "Emitted order: arrow from the chosen input position to the step that "
                 "emitted it (green right, red wrong)",
                 "position (top: input index, bottom: output step)", "", height=300)


def permutation_table(example: dict) -> pd.DataFrame:
    values, n = example["values"], len(example["values"])
    raw = example.get("raw_values", values)
    rows = []
    for t, j in enumerate(example["emitted"]):
        target = example["target"][t] if t < len(example["target"]) else None
        right = (j in example["target"]) if example.get("is_set") else (j == target)
        rows.append({"step": t, "emitted position": j,
                     "its value": raw[j] if j < n else None,
                     "target position": target, "correct": bool(right)})
    return pd.DataFrame(rows)


def uniform_loss_bars(result) -> go.Figure:
    """The zeroed decoder's measured loss beside T·log T and log T! (theory), and each trained
    decoder's loss at the same length (measured; left out where a stop skipped it)."""
    m, T = result.metrics, result.config["max_len"]
    names = ["T·log T (theory)", "log T! (theory, uniform with masking)",
             "zeroed output layer (measured)"]
    heights = [m["t_log_t"], m["log_t_factorial"], m["zeroed_decoder_loss"]]
    colors = [THEORY_COLOR, THEORY_COLOR, pal.ORANGE]
    if result.config["task"] != "select":
        for name, summary in m["comparison"].items():
            loss = summary.get("trained_loss_at_T")
            if loss is None:
                continue
            names.append(f"trained {name} (measured)")
            heights.append(loss)
            colors.append(_color(name))
    # A vocabulary decoder's loss is infinite when T exceeds its vocabulary: plotly cannot
    # draw inf, so that bar is drawn empty and labelled.
    finite = [h if h is not None and h != float("inf") else None for h in heights]
    fig = go.Figure(go.Bar(x=names, y=finite, marker_color=colors,
                           text=[f"{h:.3f}" if h is not None else "∞" for h in finite],
                           textposition="outside"))
    return style(fig, f"Loss per sequence at T = {T} (nats)", "decoder",
                 "negative log-likelihood (nats)", height=400)


def set_loss_bars(result) -> go.Figure:
    """Each trained model scored by both set losses, with the log k! floor (theory) that a
    fixed-order loss cannot go below when the data lists the set in random order."""
    m = result.metrics
    fig = go.Figure()
    for name, summary in m["comparison"].items():
        losses = summary.get("set_losses") or {}
        fig.add_trace(go.Bar(x=["Hungarian-matched loss", "fixed-order loss"],
                             y=[losses.get("hungarian"), losses.get("fixed")], name=name,
                             marker_color=_color(name)))
    floor = m.get("fixed_order_loss_floor")
    if floor is not None:
        fig.add_hline(y=floor, line_dash="dash", line_color=THEORY_COLOR,
                      annotation_text=f"log k! = {floor:.2f} (theory: fixed-order floor)")
    fig.update_layout(barmode="group")
    return style(fig, "Set losses on held-out inputs (measured, per sequence)",
                 "how the loss is scored", "nats per sequence", height=380)


def training_curves(result) -> go.Figure:
    """Held-out exact match on the training lengths during training, for every decoder."""
    fig = go.Figure()
    histories = result.arrays.get("histories") or {"": result.history}
    for name, history in histories.items():
        evals = [h for h in history if h.get("eval") and h.get("accuracy") is not None]
        fig.add_trace(go.Scatter(x=[h["step"] for h in evals], y=[h["accuracy"] for h in evals],
                                 mode="lines+markers", name=name, line_color=_color(name)))
    criterion = result.metrics.get("success_accuracy")
    if criterion is not None:
        fig.add_hline(y=criterion, line_dash="dot", line_color=THEORY_COLOR,
                      annotation_text=f"criterion {criterion:.0%}")
    fig.update_yaxes(range=[-0.03, 1.05])
    return style(fig, "Held-out exact match while training (training lengths)",
                 "optimiser step", "exact-match accuracy", height=340)
