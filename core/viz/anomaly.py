"""Figures for the Anomaly Detection lab."""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.viz import palette as pal
from core.viz.common import placeholder, style
from core.viz.config_input import accepts_config


# every model the lab compares, in the colours the palette gives them
COLORS = pal.colors_for(("repeat", "sequence", "autoregressive"))


@accepts_config
def headline(live: dict, config: dict) -> go.Figure:
    """The Anomaly Detection lab's headline figure, from each model's latest measurements (live)
    or a finished run's; something sensible with no data yet."""
    return anomaly_headline(live, config, pal.color)


def anomaly_headline(live: dict, config: dict, color) -> go.Figure:
    """Top: the probe series with its injected anomalies shaded and the steps the headline
    decoder flags marked. Bottom: each decoder's score divided by its own threshold (the
    99th percentile of its scores on clean series), so one line at 1 serves them all."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.45, 0.55])
    main = live.get(config.get("form")) or next(iter(live.values()), None)
    if main is not None:
        fig.add_trace(go.Scatter(y=main["series"], mode="lines", name="probe series",
                                 line=dict(color=pal.REFERENCE, width=1.2)), row=1, col=1)
        flagged = [t for t, v in enumerate(main["score"]) if v >= main["threshold"]]
        fig.add_trace(go.Scatter(x=flagged, y=[main["series"][t] for t in flagged],
                                 mode="markers", marker=dict(color=pal.VERMILLION, size=4),
                                 name=f"flagged by {config.get('form')}"), row=1, col=1)
        for start, end, kind in main["segments"]:
            fig.add_vrect(x0=start - 0.5, x1=end - 0.5, fillcolor=pal.ORANGE, opacity=0.25,
                          line_width=0, annotation_text=kind, annotation_position="top left",
                          annotation_font_size=10, row="all", col=1)
    for i, (name, data) in enumerate(live.items()):
        ratio = [max(v / data["threshold"], 1e-4) if data["threshold"] > 0 else None
                 for v in data["score"]]
        fig.add_trace(go.Scatter(y=ratio, mode="lines", name=f"{name} (step {data['step']})",
                                 line=dict(color=color(name, i),
                                           width=2 if data is main else 1)), row=2, col=1)
    fig.add_hline(y=1, line_dash="dash", line_color=pal.REFERENCE, row=2, col=1)
    if not live:
        placeholder(fig)
    style(fig, "Anomaly score along a probe series", "", "")
    fig.update_yaxes(title_text="series value", row=1, col=1)
    fig.update_yaxes(title_text="score ÷ threshold (log)", type="log", exponentformat="power",
                     row=2, col=1)
    fig.update_xaxes(title_text="time step of the probe series", row=2, col=1)
    return fig


def roc_figure(result) -> go.Figure:
    fig = go.Figure()
    for i, (name, curve) in enumerate(result.arrays["roc"].items()):
        auc = result.metrics["roc_auc_by_model"][name]
        size = result.metrics.get("parameters_by_model", {}).get(name)
        fig.add_trace(go.Scatter(x=curve["fpr"], y=curve["tpr"], mode="lines",
                                 name=f"{name} (AUC {auc:.2f}"
                                      + (f", {size:,} params" if size else "") + ")",
                                 line_color=pal.color(name, i)))
        point = result.arrays["operating_points"][name]
        fig.add_trace(go.Scatter(x=[point["fpr"]], y=[point["tpr"]], mode="markers",
                                 marker=dict(size=10, symbol="x", color=pal.color(name, i)),
                                 showlegend=False,
                                 hovertemplate=f"{name} at its threshold<extra></extra>"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance",
                             line=dict(dash="dot", color=pal.REFERENCE)))
    return style(fig, "ROC over every step of the test probes (× = the 99% threshold)",
                 "false-positive rate", "true-positive rate")


def kinds_figure(result) -> go.Figure:
    caught = result.metrics["caught_by_kind"]
    kinds = list(caught)
    fig = go.Figure(go.Bar(x=kinds, y=[caught[k] for k in kinds],
                           text=[f"{caught[k]:.2f}" for k in kinds]))
    fig.update_yaxes(range=[0, 1.05])
    return style(fig, f"Anomalies with a step above the threshold ({result.config['form']})",
                 "anomaly kind", "fraction caught")
