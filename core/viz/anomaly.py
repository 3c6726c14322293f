"""Figures for the anomaly section of the Applications lab."""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.viz.common import style
from core.viz.dna import waiting


def anomaly_headline(live: dict, config: dict, color) -> go.Figure:
    """The probe series (grey, left axis) with its injected anomalies shaded, and each
    decoder's anomaly score along it (right axis), the headline decoder's threshold dashed."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    main = live.get(config.get("ae_form")) or next(iter(live.values()), None)
    if main is not None:
        fig.add_trace(go.Scatter(y=main["series"], mode="lines", name="probe series",
                                 line=dict(color="lightgrey", width=1.5)), secondary_y=False)
        for start, end, kind in main["segments"]:
            fig.add_vrect(x0=start - 0.5, x1=end - 0.5, fillcolor="orange", opacity=0.25,
                          line_width=0, annotation_text=kind, annotation_position="top left",
                          annotation_font_size=10)
    for i, (name, data) in enumerate(live.items()):
        headline_form = data is main
        fig.add_trace(go.Scatter(y=data["score"], mode="lines",
                                 name=f"{name} score (step {data['step']})",
                                 line=dict(color=color(name, i), width=2 if headline_form else 1)),
                      secondary_y=True)
    if main is not None:
        fig.add_hline(y=main["threshold"], line_dash="dash", line_color=color(
            config.get("ae_form", ""), 0), secondary_y=True,
            annotation_text="threshold (99% of clean scores below)")
    fig.update_yaxes(title_text="value", secondary_y=False)
    fig.update_yaxes(title_text="anomaly score (log)", type="log", exponentformat="power",
                     secondary_y=True, showgrid=False)
    waiting(fig, live)
    return style(fig, "Reconstruction error along a probe series (anomalies shaded)",
                 "step", "")


def roc_figure(result) -> go.Figure:
    fig = go.Figure()
    for name, curve in result.arrays["roc"].items():
        auc = result.metrics["roc_auc_by_model"][name]
        fig.add_trace(go.Scatter(x=curve["fpr"], y=curve["tpr"], mode="lines",
                                 name=f"{name} (AUC {auc:.2f})"))
        point = result.arrays["operating_points"][name]
        fig.add_trace(go.Scatter(x=[point["fpr"]], y=[point["tpr"]], mode="markers",
                                 marker=dict(size=10, symbol="x"), showlegend=False,
                                 hovertemplate=f"{name} at its threshold<extra></extra>"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance",
                             line=dict(dash="dot", color="grey")))
    return style(fig, "ROC over every step of the test probes (× = the 99% threshold)",
                 "false-positive rate", "true-positive rate")


def kinds_figure(result) -> go.Figure:
    caught = result.metrics["caught_by_kind"]
    kinds = list(caught)
    fig = go.Figure(go.Bar(x=kinds, y=[caught[k] for k in kinds],
                           text=[f"{caught[k]:.2f}" for k in kinds]))
    fig.update_yaxes(range=[0, 1.05])
    return style(fig, f"Anomalies with a step above the threshold ({result.config['ae_form']})",
                 "anomaly kind", "fraction caught")
