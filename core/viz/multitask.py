"""Figures for the Multi-task Heads lab."""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.viz import palette as pal
from core.viz.common import placeholder, style
from core.viz.config_input import accepts_config

TASK_LABELS = {"tag": "tagging", "seq": "sequence"}
TASK_DASH = {"tag": "solid", "seq": "dash"}


# every model the lab compares, in the colours the palette gives them
COLORS = pal.colors_for(("shared", "tagging only", "sequence only"))


@accepts_config
def headline(live: dict, config: dict) -> go.Figure:
    """The Multi-task lab's headline figure, from each model's latest measurements (live)
    or a finished run's; something sensible with no data yet."""
    return multitask_headline(live, config, pal.color)


def multitask_headline(live: dict, config: dict, color) -> go.Figure:
    """Each task's validation accuracy over training for each model (solid: tagging, dashed:
    sequence), and the cosine between the two tasks' gradients on the shared encoder
    (dotted, right axis)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for i, (name, data) in enumerate(live.items()):
        for task in ("tag", "seq"):
            if task in data:
                fig.add_trace(go.Scatter(x=data["steps"], y=data[task], mode="lines",
                                         name=f"{name}: {TASK_LABELS[task]}",
                                         line=dict(color=color(name, i), dash=TASK_DASH[task])),
                              secondary_y=False)
        if data.get("cosine"):
            fig.add_trace(go.Scatter(x=data["steps"], y=data["cosine"], mode="lines+markers",
                                     name="gradient cosine (shared)", marker_size=4,
                                     line=dict(color=pal.REFERENCE, dash="dot", width=1)),
                          secondary_y=True)
    if not live:
        placeholder(fig)
    kind = config.get("relatedness", "related")
    style(fig, f"Two tasks, one encoder ({kind} tasks)", "training step", "")
    fig.update_yaxes(title_text="validation accuracy", range=[0.4, 1.02], secondary_y=False)
    fig.update_yaxes(title_text="cos(∇L_tag, ∇L_seq)", range=[-1, 1], secondary_y=True,
                     tickmode="array", tickvals=[-1, -0.5, 0, 0.5, 1], showgrid=False,
                     zeroline=True)
    return fig


def cosine_figure(result) -> go.Figure:
    data = result.arrays["live"]["shared"]
    fig = go.Figure(go.Scatter(x=data["steps"], y=data["cosine"], mode="lines+markers",
                               name="cos(∇L_tag, ∇L_seq) on the encoder"))
    fig.add_hline(y=0, line_color=pal.REFERENCE)
    mean = result.metrics["cosine_mean"]
    if mean is not None:
        fig.add_hline(y=mean, line_dash="dash", annotation_text=f"mean {mean:.2f}")
    fig.update_yaxes(range=[-1, 1])
    return style(fig, "Cosine between the two tasks' gradients on the shared weights "
                      "(fixed probe batch)", "training step", "cosine")


def weights_figure(result) -> go.Figure:
    """The loss weights over training; with uncertainty weighting, the stationary values
    1/(2 L_i) at the final test losses as dashed lines."""
    weights, steps = result.arrays["weights_over_training"], result.arrays["weight_steps"]
    fig = go.Figure()
    equilibrium = result.metrics["equilibrium_weights"]
    for i, (task, hue) in enumerate((("tag", pal.BLUE), ("seq", pal.VERMILLION))):
        fig.add_trace(go.Scatter(x=steps, y=[w[i] for w in weights], mode="lines",
                                 name=f"{TASK_LABELS[task]} weight", line_color=hue))
        if result.config["weighting"] == "uncertainty" and steps:
            fig.add_trace(go.Scatter(x=[steps[0], steps[-1]], y=[equilibrium[i]] * 2,
                                     mode="lines", line=dict(color=hue, dash="dash"),
                                     name=f"1/(2 L_{task}) = {equilibrium[i]:.3g}"))
    fig.update_yaxes(type="log", exponentformat="power")
    return style(fig, "Loss weight of each task over training", "training step",
                 "weight (log scale)")


def models_figure(result) -> go.Figure:
    m = result.metrics
    fig = make_subplots(rows=1, cols=2, subplot_titles=["tagging task", "sequence task"])
    for col, task in ((1, "tag"), (2, "seq")):
        names = [n for n, acc in m["accuracy_by_model"].items() if task in acc]
        values = [m["accuracy_by_model"][n][task] for n in names]
        fig.add_trace(go.Bar(x=[f"{n} ({m['parameters_by_model'][n]} params)" for n in names],
                             y=values, text=[f"{v:.2f}" for v in values], showlegend=False,
                             marker_color=[pal.color(n, i) for i, n in enumerate(names)]),
                      row=1, col=col)
        fig.add_hline(y=m[f"majority_{task}"], line_dash="dot", row=1, col=col,
                      annotation_text="majority class")
    fig.update_yaxes(range=[0, 1.05], title_text="test accuracy")
    return style(fig, "Test accuracy: shared encoder vs single-task models", "", "",
                 height=340)
