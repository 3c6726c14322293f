"""Figures for the Recurrence vs Attention lab."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core.analysis.model_size import size_label
from core.viz import palette as pal
from core.viz.common import legend_entry, placeholder, style
from core.viz.config_input import accepts_config

LABELS = {"rnn": "tanh RNN", "lstm": "LSTM", "attention": "self-attention",
          "attention_explicit": "self-attention, T×T kept"}
COLORS = pal.colors_for(("rnn", "lstm", "attention", "attention_explicit", "tanh RNN",
                         "GRU gates fixed", "GRU gates free"))


def _label(name: str) -> str:
    return LABELS.get(name, name)


def _sized(name: str, metrics: dict) -> str:
    """The model's label with its parameter count and steps, where the run recorded them."""
    return size_label(_label(name), metrics.get("parameters_by_model", {}).get(name),
                      metrics.get("steps_by_model", {}).get(name))


def _log_axis(fig: go.Figure, axis: str = "y") -> None:
    getattr(fig, f"update_{axis}axes")(type="log", exponentformat="power")


@accepts_config
def headline(live: dict, config: dict) -> go.Figure:
    """The lab's answer, drawn while it trains: ||dL/dx_t|| against the distance T - t from
    the loss, one line per model, from each model's latest measurement on the probe batch.
    A recurrence falls in a straight line on the log axis (geometric decay); attention
    stays level (one hop to every position)."""
    fig = go.Figure()
    for name, data in live.items():
        norms = data["grad_by_distance"]
        size = f", {data['parameters']:,} params" if data.get("parameters") else ""
        fig.add_trace(go.Scatter(x=list(range(len(norms))), y=norms, mode="lines",
                                 name=f"{_label(name)} at step {data['step']}{size}",
                                 line=pal.line(name)))
    lag, T = int(config.get("lag", 1)), int(config.get("seq_len", 2))
    text = "longest lag" if config.get("task") == "recall" else "the answer (lag)"
    fig.add_vline(x=lag, line_dash="dot", line_color=pal.REFERENCE)
    legend_entry(fig, f"{text} ({lag} steps)", dash="dot", color=pal.REFERENCE)
    fig.update_xaxes(range=[-0.5, T - 0.5])
    _log_axis(fig)
    if not live:
        placeholder(fig)
    return style(fig, "Gradient reaching each earlier input, per model",
                 "distance T − t from the loss (steps)", "‖dL/dx_t‖ (log scale)")


def accuracy_by_lag_figure(metrics: dict, title: str) -> go.Figure:
    fig = go.Figure()
    for name, curve in metrics["accuracy_by_lag"].items():
        fig.add_trace(go.Scatter(x=curve["lag"], y=curve["accuracy"], mode="lines+markers",
                                 name=_sized(name, metrics), line=pal.line(name),
                                 marker_symbol=pal.series(name).marker))
    chance = metrics["chance_accuracy"]
    fig.add_hline(y=chance, line_dash="dot", line_color=pal.REFERENCE)
    legend_entry(fig, f"chance 1/K = {chance:.2f}", dash="dot", color=pal.REFERENCE)
    fig.update_yaxes(range=[0, 1.05])
    return style(fig, title, "lag (steps between the answer and the output)",
                 "test accuracy")


def attention_map_figure(result) -> go.Figure:
    """The pointing head's weights on the probe sequence with the longest lag: row i is
    where position i looks; a cross marks each output's answer."""
    view = result.arrays["attention"]
    weights = np.asarray(view["example_map"])
    T = weights.shape[0]
    fig = go.Figure(go.Heatmap(z=weights, x=list(range(T)), y=list(range(T)), zmin=0, zmax=1,
                               colorscale="Greens", colorbar=dict(title="weight")))
    rows = [i for i, s in enumerate(view["example_source"]) if s >= 0]
    fig.add_trace(go.Scatter(x=[view["example_source"][i] for i in rows], y=rows,
                             mode="markers", name="the answer's position",
                             marker=dict(symbol="x-thin", size=9, line=dict(width=2),
                                         color=pal.VERMILLION)))
    fig.update_yaxes(autorange="reversed")
    return style(fig, f"Layer {view['layer'] + 1}, head {view['head'] + 1}: where each "
                      "position looks", "key position j (looked at)",
                 "query position i (looking)", height=420)


def pointing_heads_figure(result) -> go.Figure:
    by_head = result.arrays["attention"]["by_head"]
    names = [f"L{li + 1} H{hi + 1}" for li, layer in enumerate(by_head) for hi in range(len(layer))]
    values = [w for layer in by_head for w in layer]
    fig = go.Figure(go.Bar(x=names, y=values, marker_color=COLORS["attention"],
                           text=[f"{v:.2f}" for v in values]))
    fig.update_yaxes(range=[0, 1.05])
    return style(fig, "Weight each head puts on the answer's position", "layer and head",
                 "mean attention weight")


def highway_figure(result) -> go.Figure:
    """The LSTM's full dL/dc_t and dL/dh_t by distance (measured on the run's model, every
    path), beside the part the direct cell path alone carries, (prod f_k) dL/dc_T: a product
    of the gates, the same whatever the other weights, so drawn as one path's contribution,
    not as a second measurement."""
    m = result.metrics
    cell, hidden = m["cell_grad_norms"], m["hidden_grad_norms"]
    d = list(range(len(cell)))
    p = float(result.config.get("pin_forget") or 0)
    alone = ("the cell path alone: " + (f"{p:g}^(T−t) · ‖dL/dc_T‖" if p else
                                        "‖(∏ f_k) · dL/dc_T‖") + " (an identity, not measured)")
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=d, y=cell, mode="lines",
                             name="‖dL/dc_t‖ cell state, every path (measured)",
                             line_color=COLORS["lstm"]))
    fig.add_trace(go.Scatter(x=d, y=hidden, mode="lines", name="‖dL/dh_t‖ hidden state (measured)",
                             line=dict(color=pal.REFERENCE)))
    fig.add_trace(go.Scatter(x=d, y=result.arrays["highway"]["highway_norms"], mode="lines",
                             name=alone, line=dict(dash="dash", color=pal.REFERENCE)))
    _log_axis(fig)
    return style(fig, "LSTM: gradient reaching the cell state and the hidden state",
                 "distance T − t from the loss (steps)", "gradient norm (log scale)", height=360)


def forget_gate_figure(result) -> go.Figure:
    mean = result.metrics["forget_gate_mean"]
    low, high = result.arrays["highway"]["forget_low"], result.arrays["highway"]["forget_high"]
    t = list(range(1, len(mean) + 1))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=t + t[::-1], y=high + low[::-1], fill="toself", mode="none",
                             fillcolor="rgba(0,114,178,0.2)",
                             name="10th–90th percentile of units"))
    fig.add_trace(go.Scatter(x=t, y=mean, mode="lines", name="mean forget gate f_t",
                             line_color=COLORS["lstm"]))
    fig.update_yaxes(range=[0, 1.02])
    return style(fig, "Forget gate at every step (probe batch)", "position t",
                 "forget gate f_t", height=360)


def _fit_label(fit: dict | None, spread: list | None) -> str:
    """', ∝ T^1.02 (0.98–1.10 over repeats)', with a warning when the fit never left the
    overhead regime."""
    if not fit:
        return ""
    text = f", ∝ T^{fit['exponent']:.2f}"
    if spread:
        text += f" ({spread[0]:.2f}–{spread[1]:.2f} over repeats)"
    return text + (", overhead-bound" if fit.get("overhead_bound") else "")


def _cost_figure(study, key: str, fit_key: str, title: str, y: str) -> go.Figure:
    """Each model's cost against T with its fitted power law (dashed, over the lengths it
    was fitted on); for time, a bar from the fastest to the slowest repeated step."""
    m = study.metrics
    lengths = m["lengths"]
    runs = m.get("step_ms_runs_by_T", {}) if key == "step_ms_by_T" else {}
    spreads = m.get("time_exponent_range", {}) if key == "step_ms_by_T" else {}
    fig = go.Figure()
    for name, values in m[key].items():
        points = [(t, v, (runs.get(name) or [None] * len(lengths))[i])
                  for i, (t, v) in enumerate(zip(lengths, values)) if v is not None]
        if not points:
            continue
        fit = m[fit_key].get(name)
        error = None
        if any(r for _, _, r in points):
            error = dict(type="data", symmetric=False, arrayminus=[0] * len(points),
                         array=[(max(r) - v) if r else 0 for _, v, r in points], width=3)
        fig.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points],
                                 mode="lines+markers", error_y=error,
                                 name=_label(name) + _fit_label(fit, spreads.get(name)),
                                 line_color=COLORS.get(name)))
        if fit:
            ts = [t for t in lengths if t >= fit["from_T"]]
            fig.add_trace(go.Scatter(x=ts, y=[fit["prefactor"] * t ** fit["exponent"] for t in ts],
                                     mode="lines", showlegend=False, hoverinfo="skip",
                                     line=dict(dash="dash", color=COLORS.get(name), width=1)))
    _log_axis(fig)
    fig.update_xaxes(type="log", tickvals=lengths, ticktext=[str(t) for t in lengths])
    return style(fig, title, "sequence length T", y, height=360)


def cost_time_figure(study) -> go.Figure:
    return _cost_figure(study, "step_ms_by_T", "time_fit",
                        f"Time per training step on this machine ({study.metrics['device']})",
                        "ms per step, fastest of the repeats (log scale)")


def cost_memory_figure(study) -> go.Figure:
    return _cost_figure(study, "peak_mb_by_T", "memory_fit",
                        f"Memory per step: {study.metrics['memory_measure']}",
                        "MB (log scale)")
