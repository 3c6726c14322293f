"""Figures for the Bidirectional lab: pure functions of a Result (or a measured view) to plotly."""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.tasks.direction import CAUSAL_BOUND_FORMULA, causal_bound
from core.viz import palette as pal
from core.viz.common import legend_entry, placeholder, style
from core.viz.config_input import accepts_config

COLORS = pal.colors_for(("uni", "bi", "bi, future hidden", "forward", "backward"))
CLASSES = {"palindrome": 2, "disambiguation": 2}  # the other tasks answer with one of K symbols


def bound_label(task: str, bound: float) -> str:
    """The causal bound as the page writes it: its formula, then its value."""
    return f"causal bound {CAUSAL_BOUND_FORMULA.get(task, '')} = {bound:.3f} (theory)"


def _add_reference_line(fig: go.Figure, config: dict, in_legend: bool = False) -> None:
    """The exact causal bound (dashed) where the task has one, else uniform guessing (dotted);
    named in the legend over curves (`in_legend`), labelled at its left end over bars."""
    task, symbols = config.get("task", ""), int(config.get("symbols", 2))
    bound = causal_bound(task, symbols)
    if bound is not None:
        y, dash, name = bound, "dash", bound_label(task, bound)
    else:
        y, dash = 1.0 / CLASSES.get(task, symbols), "dot"
        name = f"uniform guess = {y:.3f}"
    if in_legend:
        fig.add_hline(y=y, line_dash=dash, line_color=pal.REFERENCE)
        legend_entry(fig, name, dash=dash, color=pal.REFERENCE)
    else:
        fig.add_hline(y=y, line_dash=dash, line_color=pal.REFERENCE, annotation_text=name,
                      annotation_position="top left")


@accepts_config
def headline(live: dict, config: dict) -> go.Figure:
    """The lab's answer, drawn while it trains: each model's accuracy on the validation set
    over training against the exact causal bound, and at the end each model's test accuracy
    (and the bidirectional model's with its future hidden) as markers. Over training rather
    than by position: on lookahead every position is alike, and the story is the causal curve
    staying on the bound while the bidirectional one leaves it."""
    fig = go.Figure()
    for name, data in live.items():
        fig.add_scatter(x=data.get("step") or [], y=data.get("accuracy") or [],
                        mode="lines+markers", marker_size=4, name=f"{name} (validation)",
                        line_color=COLORS.get(name))
    # The finished run's test numbers, drawn over the curves at each model's last step; the
    # future-hidden reading is an open ring, so the causal model's star shows through it.
    for name, data in live.items():
        end = (data.get("step") or [0])[-1]
        if data.get("test_accuracy") is not None:
            fig.add_scatter(x=[end], y=[data["test_accuracy"]], mode="markers",
                            marker=dict(symbol="star", size=12, color=COLORS.get(name),
                                        line=dict(width=1, color=pal.REFERENCE)),
                            name=f"{name}, test")
    for name, data in live.items():
        if data.get("test_accuracy_future_hidden") is not None:
            end = (data.get("step") or [0])[-1]
            fig.add_scatter(x=[end], y=[data["test_accuracy_future_hidden"]], mode="markers",
                            marker=dict(symbol="diamond-open", size=18,
                                        color=COLORS["bi, future hidden"],
                                        line=dict(width=3)),
                            name=f"{name}, future hidden, test")
    _add_reference_line(fig, config, in_legend=True)
    fig.update_yaxes(range=[0, 1.05])
    if not live:
        fig.update_xaxes(range=[0, max(int(config.get("steps", 0)), 1)])
        placeholder(fig)
    return style(fig, "Accuracy while training: causal (uni) vs bidirectional (bi)",
                 "training step", "held-out accuracy")


def accuracy_by_direction(result) -> go.Figure:
    """Test accuracy of each trained direction, the bi model read with its future hidden,
    and the exact causal bound (theory) as a line."""
    by_dir = result.metrics.get("by_direction", {})
    names, values = [], []
    for d in ("uni", "bi"):
        if d in by_dir:
            names.append(d)
            values.append(by_dir[d]["accuracy"])
    if "bi" in by_dir:
        names.append("bi, future hidden")
        values.append(by_dir["bi"]["accuracy_future_hidden"])
    fig = go.Figure(go.Bar(x=names, y=values, marker_color=[COLORS[n] for n in names],
                           # inside the bar's top: outside, the uni bar's label sat on the
                           # causal bound's line and under its annotation
                           text=[f"{v:.3f}" for v in values], textposition="inside",
                           insidetextanchor="end",
                           name="measured"))
    _add_reference_line(fig, result.config)
    fig.update_yaxes(range=[0, 1.12])
    fig.update_layout(showlegend=False)
    return style(fig, f"Test accuracy on '{result.config['task']}' (measured)", "model",
                 "test accuracy", height=360)


def gradient_paths_figure(result) -> go.Figure:
    """||dL/dh_t|| along each pass and ||dL/dx_t|| split by path, for a first-token label."""
    paths = result.arrays.get("gradient_paths", {})
    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        "gradient at each hidden state", "gradient reaching each input, by path"))
    for d, p in paths.items():
        T = len(p["forward_hidden"])
        steps = list(range(1, T + 1))
        fig.add_scatter(x=steps, y=p["forward_hidden"], mode="lines+markers",
                        name=f"{d}: forward pass", line=dict(color=COLORS[d]), row=1, col=1)
        fig.add_scatter(x=steps, y=p["forward_input"], mode="lines+markers",
                        name=f"{d}: via forward", line=dict(color=COLORS[d]), row=1, col=2,
                        showlegend=False)
        if p["backward_hidden"]:
            fig.add_scatter(x=steps, y=p["backward_hidden"], mode="lines+markers",
                            name=f"{d}: backward pass", line=dict(color=COLORS[d], dash="dash"),
                            row=1, col=1)
            fig.add_scatter(x=steps, y=p["backward_input"], mode="lines+markers",
                            name=f"{d}: via backward", row=1, col=2, showlegend=False,
                            line=dict(color=COLORS[d], dash="dash"))
    for col in (1, 2):
        fig.update_xaxes(title_text="timestep t", row=1, col=col)
        fig.update_yaxes(type="log", row=1, col=col, exponentformat="power")
    fig.update_yaxes(title_text="mean ||dL/dh_t||", row=1, col=1)
    fig.update_yaxes(title_text="mean ||dL/dx_t||", row=1, col=2)
    fig.update_layout(title="Gradient paths for a label on the first token (measured, autograd)",
                      height=380)
    return fig


def mask_sweep_figure(sweep) -> go.Figure:
    """Backward share, the halves' absolute variances, and accuracy against future-mask p."""
    m = sweep.metrics
    fig = make_subplots(rows=1, cols=3, subplot_titles=(
        "backward share of output-layer input", "variance of each half (log)", "accuracy"))
    fig.add_scatter(x=m["p"], y=m["backward_share"], mode="lines+markers",
                    name="share, future masked as in training", row=1, col=1)
    fig.add_scatter(x=m["p"], y=m["backward_share_unmasked"], mode="lines+markers",
                    name="share, full future shown", line_dash="dot", row=1, col=1)
    fig.add_scatter(x=m["p"], y=m["forward_variance"], mode="lines+markers",
                    name="Var(W_f h_f)", line_color=COLORS["forward"], row=1, col=2)
    fig.add_scatter(x=m["p"], y=m["backward_variance"], mode="lines+markers",
                    name="Var(W_b h_b)", line_color=COLORS["backward"], row=1, col=2)
    fig.add_scatter(x=m["p"], y=m["accuracy"], mode="lines+markers", name="accuracy, future shown",
                    line_color=COLORS["bi"], row=1, col=3)
    fig.add_scatter(x=m["p"], y=m["accuracy_future_hidden"], mode="lines+markers",
                    name="accuracy, future hidden", line_color=COLORS["bi, future hidden"],
                    row=1, col=3)
    for col in (1, 2, 3):
        fig.update_xaxes(title_text="future mask p in training", row=1, col=col)
    fig.update_yaxes(title_text="share", range=[-0.02, 1.02], row=1, col=1)
    fig.update_yaxes(title_text="variance (logit units²)", type="log", row=1, col=2,
                     exponentformat="power")
    fig.update_yaxes(title_text="accuracy", range=[0, 1.05], row=1, col=3)
    fig.update_layout(title=f"Bidirectional models trained at each p on "
                            f"'{sweep.config['task']}' (measured)", height=400)
    return fig


def sequence_states_figure(view: dict, symbols: list[str]) -> go.Figure:
    """Heatmaps of forward and backward states, and each half's contribution per position."""
    has_b = bool(view["backward_states"])
    rows = 3 if has_b else 2
    titles = ["forward states h_f[t]"] + (["backward states h_b[t]"] if has_b else []) + \
             ["size of each half's contribution |W h| to the output layer"]
    fig = make_subplots(rows=rows, cols=1, subplot_titles=titles, vertical_spacing=0.1)
    labels = [f"{i + 1}:{s}" for i, s in enumerate(symbols)]
    fig.add_heatmap(z=list(map(list, zip(*view["forward_states"]))), x=labels,
                    colorscale="RdBu", zmid=0, zmin=-1, zmax=1, row=1, col=1,
                    colorbar=dict(title="h", len=0.3, y=0.85))
    if has_b:
        fig.add_heatmap(z=list(map(list, zip(*view["backward_states"]))), x=labels,
                        colorscale="RdBu", zmid=0, zmin=-1, zmax=1, row=2, col=1,
                        showscale=False)
    fig.add_bar(x=labels, y=view["forward_contribution"], name="forward |W_f h_f|",
                marker_color=COLORS["forward"], row=rows, col=1)
    if has_b:
        fig.add_bar(x=labels, y=view["backward_contribution"], name="backward |W_b h_b|",
                    marker_color=COLORS["backward"], row=rows, col=1)
    for r in range(1, rows):
        fig.update_yaxes(title_text="unit", row=r, col=1)
    fig.update_yaxes(title_text="norm", row=rows, col=1)
    fig.update_xaxes(title_text="position: symbol", row=rows, col=1)
    fig.update_layout(height=260 * rows, barmode="group",
                      title="Inside the trained model for your sequence (measured)")
    return fig
