"""Figures for the Gradient Flow lab."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core.viz import palette as pal
from core.viz.common import legend_entry, placeholder, style
from core.viz.config_input import accepts_config

CELL_COLORS = pal.colors_for(("rnn", "lstm", "gru", "linear"))
# what the page calls each cell, and the article it takes ("an LSTM", "a tanh RNN")
CELL_NAMES = {"rnn": "tanh RNN", "lstm": "LSTM", "gru": "GRU", "linear": "linear RNN"}


def a_cell(cell: str) -> str:
    name = CELL_NAMES.get(cell, cell)
    return ("an " if name[0] in "AEFHILMNORSX" else "a ") + name


def _log10(values) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    return np.log10(np.clip(arr, 1e-30, None))


def gradient_heatmap(result, truncated: bool = False) -> go.Figure:
    """log10 ||dL/dh_t|| over (timestep × training step), measured on a fixed probe batch:
    through the full unrolled graph, or (truncated) through the graph truncated training
    backpropagates, where nothing reaches the steps behind the window."""
    rows = result.arrays["grad_heatmap_truncated" if truncated else "grad_heatmap"]
    T = len(rows[0]) if rows else 0
    fig = go.Figure(go.Heatmap(z=_log10(rows), x=list(range(1, T + 1)),
                               y=result.arrays["grad_heatmap_steps"], colorscale="Viridis",
                               colorbar=dict(title="log10 ‖dL/dh_t‖")))
    k = result.config.get("tbptt_k", 0)
    if k and k < T:
        fig.add_vline(x=T - k + 0.5, line_dash="dash", line_color=pal.ON_HEATMAP,
                      annotation_text=f"window K={k}")
    title = (f"What truncated training receives (K = {k}, measured)" if truncated
             else "Full backpropagation through time (measured)" if k and k < T
             else "Gradient reaching each timestep as training goes (measured)")
    return style(fig, title, "timestep t", "training step", height=360)


@accepts_config
def headline(live: dict, config: dict) -> go.Figure:
    """The lab's answer, drawn while it trains: ||dL/dh_t|| against t on a log axis, one
    line per cell, from each cell's latest measurement on the probe batch. A falling
    straight line is exponential vanishing; a flat one is gradient reaching the mark."""
    fig = go.Figure()
    T = int(config.get("seq_len", 1))
    for cell, data in live.items():
        norms = data["grad_norms"]
        fig.add_trace(go.Scatter(x=list(range(1, len(norms) + 1)), y=norms, mode="lines",
                                 name=f"{CELL_NAMES.get(cell, cell)} at step {data['step']} (measured)",
                                 line=pal.line(cell)))
        if data.get("theory"):
            a = float(config.get("a", 1.0))
            formula = ("|a|^(T-t)·‖g_T‖" if config.get("supervision") == "many_to_one"
                       else "‖Σ_(s≥t) a^(s-t) g_s‖")  # every supervised step s adds a term
            fig.add_trace(go.Scatter(x=list(range(1, len(data["theory"]) + 1)),
                                     y=data["theory"], mode="lines",
                                     name=f"theory {formula}, a={a:g}",
                                     line=dict(dash="dash", color=pal.REFERENCE)))
    mark = T - min(int(config.get("lag", T)), T) + 1
    if config.get("lag_spread") == "fixed":
        fig.add_vline(x=mark, line_dash="dot", line_color=pal.REFERENCE)
        legend_entry(fig, f"marked symbol (t = {mark})", dash="dot", color=pal.REFERENCE)
    fig.update_yaxes(type="log", exponentformat="power")
    if not live:
        placeholder(fig)
    return style(fig, "Gradient reaching each timestep, per cell", "timestep t",
                 "‖dL/dh_t‖ (log scale)")


def input_gradient_curve(result) -> go.Figure:
    norms = result.metrics["input_grad_norms"]
    fig = go.Figure(go.Scatter(x=list(range(1, len(norms) + 1)), y=norms, mode="lines",
                               name=result.config["cell"]))
    fig.update_yaxes(type="log", exponentformat="power")
    return style(fig, "Gradient reaching each input x_t (measured)", "timestep t",
                 "‖dL/dx_t‖ (log scale)")


def gate_heatmap(result) -> go.Figure | None:
    units = result.arrays.get("gate_units") or {}
    if not units:
        return None
    name, values = next(iter(units.items()))
    label = "forget gate f_t" if name == "forget" else "update gate z_t (fraction kept)"
    arr = np.asarray(values).T  # (H, T)
    fig = go.Figure(go.Heatmap(z=arr, x=list(range(1, arr.shape[1] + 1)),
                               y=list(range(arr.shape[0])), zmin=0, zmax=1,
                               colorscale="Blues", colorbar=dict(title=label)))
    return style(fig, f"{label.capitalize()} per unit over time (mean over a probe batch)",
                 "timestep t", "hidden unit", height=340)


def comparison_bars(result) -> go.Figure:
    comp = result.metrics["comparison"]
    cells = list(comp)
    fig = go.Figure(go.Bar(x=cells, y=[comp[c]["accuracy"] for c in cells],
                           marker_color=[CELL_COLORS.get(c) for c in cells],
                           text=[f"{comp[c]['accuracy']:.2f}" for c in cells]))
    fig.add_hline(y=result.metrics["chance_accuracy"], line_dash="dot",
                  annotation_text="chance 1/K")
    fig.update_yaxes(range=[0, 1.05])
    return style(fig, f"Accuracy after {result.steps} steps, same seed and data",
                 "cell", "held-out accuracy")


def linear_sweep_figure(result, supervision: str) -> go.Figure:
    """The gradient reaching h_1 against T for |a| < 1, = 1, > 1: autograd vs closed form."""
    sweep = result.arrays["linear_sweep"]
    T = sweep["T"]
    fig = go.Figure()
    for name, curves in sweep["curves"].items():
        sup, a = name.split("|")
        if sup != supervision:
            continue
        fig.add_trace(go.Scatter(x=T, y=curves["closed_form"], mode="lines",
                                 name=f"a={a} closed form", line=dict(dash="dash")))
        fig.add_trace(go.Scatter(x=T, y=curves["measured"], mode="markers",
                                 name=f"a={a} measured (autograd)"))
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_xaxes(type="log", tickvals=T, ticktext=[str(t) for t in T])
    title = "loss at the last step only" if supervision == "many_to_one" else "loss at every step"
    return style(fig, f"‖dL/dh_1‖ vs sequence length — {title}", "sequence length T",
                 "‖dL/dh_1‖ / ‖g‖ (log)")


def mutual_information_figure(result) -> go.Figure:
    mi = result.metrics["mi_by_lag"]
    lags = list(range(1, len(mi) + 1))
    fig = go.Figure(go.Bar(x=lags, y=mi, name="I(x at lag d; y), estimated from samples"))
    k = result.metrics["suggested_tbptt_k"]
    fig.add_vline(x=k, line_dash="dash", annotation_text=f"suggested K = {k}")
    return style(fig, "Information each lag carries about the target", "lag d (steps before "
                 "the end)", "mutual information (nats)")


def tbptt_sweep_figure(sweep_result) -> go.Figure:
    acc = sweep_result.metrics["accuracy_by_k"]
    ks = list(acc)
    fig = go.Figure(go.Scatter(x=[str(k) for k in ks], y=[acc[k] for k in ks],
                               mode="lines+markers", name="held-out accuracy (measured)"))
    reference = sweep_result.metrics.get("in_window_accuracy_by_k") or {}
    if any(v is not None for v in reference.values()):
        fig.add_trace(go.Scatter(x=[str(k) for k in ks], y=[reference.get(k) for k in ks],
                                 mode="lines", line=dict(dash="dash", color=pal.REFERENCE),
                                 name="if only in-window marks are learned: p_K + (1-p_K)/S "
                                      "(theory)"))
    fig.add_hline(y=sweep_result.metrics["chance_accuracy"], line_dash="dot",
                  annotation_text="chance 1/S")
    fig.update_yaxes(range=[0, 1.05])
    return style(fig, "Accuracy reached with each truncation window",
                 "truncation window K (full = no truncation)", "held-out accuracy")
