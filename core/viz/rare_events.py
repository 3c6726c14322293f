"""Figures for the Rare Events lab."""
from __future__ import annotations

import plotly.graph_objects as go

from core.viz import palette as pal
from core.viz.common import legend_entry, placeholder, style
from core.viz.config_input import accepts_config


# every model the lab compares, in the colours the palette gives them
COLORS = pal.colors_for(("plain", "weighted", "focal", "every step", "every k steps",
                         "end only"))


@accepts_config
def headline(live: dict, config: dict) -> go.Figure:
    """The Rare Events lab's headline figure, from each model's latest measurements (live)
    or a finished run's; something sensible with no data yet."""
    return events_headline(live, config, pal.color)


def events_headline(live: dict, config: dict, color) -> go.Figure:
    """Comparing losses: PR-AUC over training per loss (solid) and recall at threshold 1/2
    (dotted), the event rate (the all-negative classifier's PR-AUC) in grey. Comparing
    densities: each density's ROC AUC of detecting whether a stream holds an event."""
    fig = go.Figure()
    losses = config.get("compare", "losses") == "losses"
    for i, (name, data) in enumerate(live.items()):
        c = color(name, i)
        fig.add_trace(go.Scatter(x=data["steps"], y=data["score"], mode="lines+markers",
                                 marker_size=4, line_color=c,
                                 name=f"{name}: PR-AUC" if losses else name))
        if losses:
            fig.add_trace(go.Scatter(x=data["steps"], y=data["recall"], mode="lines",
                                     line=dict(color=c, dash="dot"),
                                     name=f"{name}: recall at ½"))
    if losses:
        rate = next((d.get("event_rate") for d in live.values() if d.get("event_rate")), None)
        if rate is not None:
            fig.add_hline(y=rate, line_color=pal.REFERENCE)
            legend_entry(fig, f"all-negative PR-AUC = event rate {rate:.3f}",
                         color=pal.REFERENCE)
        title, y = "Finding rare events: PR-AUC and recall per loss", "validation PR-AUC / recall"
    else:
        fig.add_hline(y=0.5, line_color=pal.REFERENCE)
        legend_entry(fig, "chance = 0.5", color=pal.REFERENCE)
        k = config.get("label_every", "k")
        title = f"Supervision density (k = {k}): does this stream hold an event?"
        y = "validation ROC AUC"
    fig.update_yaxes(range=[0, 1.02])
    if not live:
        placeholder(fig)
    return style(fig, title, "training step", y)


def pr_curves(result) -> go.Figure:
    fig = go.Figure()
    for i, (name, curve) in enumerate(result.arrays["pr_curves"].items()):
        fig.add_trace(go.Scatter(x=curve["recall"], y=curve["precision"], mode="lines",
                                 line_color=pal.color(name, i),
                                 name=f"{name} (AP {result.metrics['score_by_model'][name]:.2f})"))
    rate = result.metrics["all_negative_pr_auc"]
    fig.add_hline(y=rate, line_dash="dot", line_color=pal.REFERENCE)
    legend_entry(fig, f"all-negative: precision = event rate {rate:.3f}", dash="dot",
                 color=pal.REFERENCE)
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1.02])
    return style(fig, "Precision against recall on the test streams, every threshold",
                 "recall", "precision")


def gradient_profiles(result) -> go.Figure:
    fig = go.Figure()
    for i, (name, profile) in enumerate(result.arrays["grad_profiles"].items()):
        fig.add_trace(go.Scatter(x=list(range(1, len(profile) + 1)),
                                 y=[max(v, 1e-30) for v in profile], mode="lines", name=name,
                                 line_color=pal.color(name, i)))
    fig.update_yaxes(type="log", exponentformat="power")
    return style(fig, "Gradient of each model's own loss reaching each input step "
                      "(probe batch, last measurement)", "step t", "mean |dL/dx_t| (log scale)")
