"""Figures for the forecasting lab: pure functions of a Result (no Streamlit)."""
from __future__ import annotations

import math

import plotly.graph_objects as go

COLORS = {"iterative": "#d62728", "direct": "#1f77b4", "persistence": "#7f7f7f",
          "truth": "#222222"}
BANDS = {"iterative": "rgba(214,39,40,0.15)", "direct": "rgba(31,119,180,0.15)"}


def _finite(values):
    return [v if v is not None and math.isfinite(v) and v > 0 else None for v in values]


def error_by_horizon_figure(result) -> go.Figure:
    """Median error at each horizon (log axis), the interquartile band over test windows, the
    persistence baseline, and the theory curves drawn dashed."""
    m, a = result.metrics, result.arrays
    k = a["horizon_steps"]
    fig = go.Figure()
    for kind in ("iterative", "direct"):
        spread = a["spread"].get(kind)
        if spread is None:
            continue
        fig.add_trace(go.Scatter(x=k + k[::-1], y=_finite(spread["q75"] + spread["q25"][::-1]),
                                 fill="toself", fillcolor=BANDS[kind], line={"width": 0},
                                 hoverinfo="skip", name=f"{kind}: 25–75% of test windows"))
        fig.add_trace(go.Scatter(x=k, y=_finite(m[f"error_by_horizon_{kind}"]),
                                 mode="lines+markers", line={"color": COLORS[kind]},
                                 name=f"{kind} (measured median)"))
    fig.add_trace(go.Scatter(x=k, y=_finite(m["error_by_horizon_persistence"]), mode="lines",
                             line={"color": COLORS["persistence"], "dash": "dot"},
                             name="repeat last value (measured)"))
    if a.get("theory_iterative"):
        stretch = a.get("theory_stretch")
        # The linear map's stretch is its Lipschitz constant L. For a chaotic system it is the
        # average stretch per step e^λ (2 for the logistic map at r = 4, whose Lipschitz
        # constant is 4): an estimate, not a bound.
        label = (f"theory: ε·Σ L^j (L = {stretch:.3g})" if a.get("system") == "linear"
                 else f"theory estimate: ε·Σ e^(λj) (e^λ = {stretch:.3g})")
        fig.add_trace(go.Scatter(x=k, y=_finite(a["theory_iterative"]), mode="lines",
                                 line={"color": COLORS["iterative"], "dash": "dash"},
                                 name=label))
    sat = m.get("saturation_level")
    if sat is not None and math.isfinite(sat):
        fig.add_hline(y=sat, line={"color": "#999", "dash": "dot"},
                      annotation_text="two random states apart (saturation)")
    fig.update_layout(title="Forecast error against horizon",
                      xaxis_title="steps ahead k", yaxis_title="error |x̂ - x| (log scale)",
                      yaxis_type="log", legend={"orientation": "h", "y": -0.25})
    return fig


def growth_rate_figure(result) -> go.Figure:
    """Fitted growth rate (slope of ln of the error's step-to-step increments; see
    core.analysis.error_growth.growth_rate) against the system's known rate, with
    the line where they agree. A sweep result adds one point per Lipschitz constant."""
    points = result.arrays.get("sweep")
    if points:
        ref = [p["reference"] for p in points]
        meas = [p["measured"] for p in points]
        text = [f"L = {p['lipschitz']:g} ({p['regime']})" for p in points]
    else:
        ref = [result.metrics["reference_growth_rate"]]
        meas = [result.metrics["growth_rate_iterative"]]
        text = [result.arrays.get("system", "")]
    ref = [r if r is not None and math.isfinite(r) else None for r in ref]
    meas = [v if v is not None and math.isfinite(v) else None for v in meas]
    known = [v for v in ref + meas if v is not None] or [0.0, 1.0]
    lo, hi = min(known + [0.0]) - 0.05, max(known) + 0.05
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="measured = known",
                             line={"color": "#999", "dash": "dash"}))
    fig.add_trace(go.Scatter(x=ref, y=meas, mode="markers+text", text=text,
                             textposition="top center", marker={"size": 11, "color": "#d62728"},
                             name="iterative model (measured)"))
    fig.update_layout(title="Fitted error growth vs the known rate",
                      xaxis_title="known rate per step (ln L, or Lyapunov exponent × Δt)",
                      yaxis_title="fitted rate per step (slope of ln Δe_k)")
    return fig


def examples_figure(result, channel: int = 0) -> go.Figure:
    """A few held-out windows: the context, the true future and both forecasts."""
    ex = result.arrays["examples"]
    fig = go.Figure()
    for i, (ctx, truth) in enumerate(zip(ex["context"], ex["truth"])):
        C = len(ctx)
        t_ctx = list(range(-C + 1, 1))
        t_fut = list(range(1, len(truth) + 1))
        show = i == 0
        fig.add_trace(go.Scatter(x=t_ctx + t_fut, y=[v[channel] for v in ctx + truth],
                                 mode="lines", line={"color": COLORS["truth"]},
                                 name="truth", legendgroup="truth", showlegend=show))
        for kind in ("iterative", "direct"):
            if kind in ex:
                fig.add_trace(go.Scatter(x=t_fut, y=[v[channel] for v in ex[kind][i]],
                                         mode="lines", line={"color": COLORS[kind],
                                                             "dash": "dot"},
                                         name=f"{kind} forecast", legendgroup=kind,
                                         showlegend=show))
    fig.add_vline(x=0.5, line={"color": "#999", "dash": "dot"})
    fig.update_layout(title="Forecasts over the truth (held-out windows)",
                      xaxis_title="step (0 = last observed)",
                      yaxis_title=f"value (channel {channel})")
    return fig


def sweep_curves_figure(result) -> go.Figure:
    """Iterative error by horizon for every Lipschitz constant of a sweep (log axis)."""
    fig = go.Figure()
    for p in result.arrays.get("sweep", []):
        e = p["error_by_horizon_iterative"]
        fig.add_trace(go.Scatter(x=list(range(1, len(e) + 1)), y=_finite(e), mode="lines",
                                 name=f"L = {p['lipschitz']:g}: {p['regime']}"))
    fig.update_layout(title="Iterative error by horizon across L (measured)",
                      xaxis_title="steps ahead k", yaxis_title="median error (log scale)",
                      yaxis_type="log")
    return fig
