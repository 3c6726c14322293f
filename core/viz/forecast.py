"""Figures for the forecasting lab: pure functions of a Result or of live data (no Streamlit)."""
from __future__ import annotations

import math

import plotly.graph_objects as go

from core.viz import palette as pal
from core.viz.common import placeholder, style
from core.viz.config_input import accepts_config

COLORS = pal.colors_for(("iterative", "direct", "persistence", "truth"))
BANDS = {"iterative": "rgba(213,94,0,0.13)", "direct": "rgba(0,114,178,0.13)"}


def _finite(values):
    return [v if v is not None and math.isfinite(v) and v > 0 else None for v in values]


def theory_label(system: str, stretch: float) -> str:
    """The dashed curve's legend. The linear map's stretch is its Lipschitz constant L. For a
    chaotic system it is the average stretch per step e^λ (2 for the logistic map at r = 4,
    whose Lipschitz constant is 4): an estimate, not a bound."""
    if system == "linear":
        return f"theory ε·Σ L^j, L = {stretch:.3g}"
    return f"theory estimate ε·Σ e^(λj), e^λ = {stretch:.3g}"


def _error_curves(fig: go.Figure, curves: dict, bands: bool) -> None:
    """One measured median curve per model, with the middle half of the windows as a band."""
    for kind in ("iterative", "direct"):
        data = curves.get(kind)
        if not data:
            continue
        k = list(range(1, len(data["error"]) + 1))
        if bands and data.get("q25"):
            fig.add_trace(go.Scatter(x=k + k[::-1], y=_finite(data["q75"] + data["q25"][::-1]),
                                     fill="toself", fillcolor=BANDS[kind], line={"width": 0},
                                     hoverinfo="skip", showlegend=False))
        rate = data.get("rate")  # the iterative model's only: the theory makes no claim
        fitted = (f", rate {rate:.3f}/step"  # about the direct curve's rate
                  if rate is not None and math.isfinite(rate) else "")
        step = f" at step {data['step']}" if data.get("step") is not None else ""
        fig.add_trace(go.Scatter(x=k, y=_finite(data["error"]), mode="lines+markers",
                                 marker={"size": 4}, line={"color": COLORS[kind]},
                                 name=f"{kind}{step} (measured{fitted})"))


def _references(fig: go.Figure, persistence, saturation, theory, stretch, system) -> None:
    if persistence:
        fig.add_trace(go.Scatter(x=list(range(1, len(persistence) + 1)),
                                 y=_finite(persistence), mode="lines",
                                 line={"color": COLORS["persistence"], "dash": "dot"},
                                 name="repeat last value (measured)"))
    if theory and saturation is not None and math.isfinite(saturation):
        # the theory describes small errors: past saturation it would only squash the axis
        theory = [v if v <= saturation else None for v in theory]
    if theory:
        fig.add_trace(go.Scatter(x=list(range(1, len(theory) + 1)), y=_finite(theory),
                                 mode="lines", line={"color": COLORS["iterative"],
                                                     "dash": "dash"},
                                 name=theory_label(system, stretch)))
    if saturation is not None and math.isfinite(saturation) and persistence:
        # a trace, not add_hline: on a log axis a shape's y is read as log10 of the value
        fig.add_trace(go.Scatter(x=[1, len(persistence)], y=[saturation, saturation],
                                 mode="lines", line={"color": pal.REFERENCE, "dash": "dashdot"},
                                 name="saturation (two random states)"))


@accepts_config
def headline(live: dict, config: dict) -> go.Figure:
    """The lab's answer, drawn while it trains: each model's median error at every horizon
    on held-out windows (log axis), re-measured at each evaluation, with the geometric-sum
    curve ε·Σ s^j built from the iterative model's own one-step error ε. A rising straight
    line is exponential growth; the direct curve has nothing fed back to compound."""
    fig = go.Figure()
    _error_curves(fig, live, bands=True)
    it = next((d for d in live.values() if "persistence" in d), {})
    _references(fig, it.get("persistence"), it.get("saturation"), it.get("theory"),
                it.get("stretch"), config.get("system", ""))
    fig.update_yaxes(type="log", exponentformat="power")
    horizon = int(config.get("horizon", 1))
    fig.update_xaxes(range=[0.5, horizon + 0.5])
    if not live:
        placeholder(fig)
    held = next((d.get("held_out") for d in live.values() if d.get("held_out")), "held-out")
    # the legend at the foot, as on every figure (core.viz.common.style): placed inside the
    # plot it covered the dotted and dashed curves, and on a projector the x-axis title
    fig = style(fig, f"Error by horizon on {held} windows", "steps ahead k",
                "median |x̂ - x| (log)")  # short: a projector's plot is low
    return fig


def growth_rate_figure(result) -> go.Figure:
    """Fitted growth rate (slope of ln of the error's differences e_(k+m) - e_k; see
    core.analysis.error_growth.growth_rate) against the system's known rate, with the line
    where they agree. A sweep result adds one point per Lipschitz constant."""
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
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="fitted = known",
                             line={"color": pal.REFERENCE, "dash": "dash"}))
    fig.add_trace(go.Scatter(x=ref, y=meas, mode="markers+text", text=text,
                             textposition="top center", marker={"size": 11, "color": pal.VERMILLION},
                             name="iterative model (fitted to its measured error)"))
    return style(fig, "Fitted error growth vs the known rate",
                 "known rate per step (ln L, or Lyapunov exponent × Δt)",
                 "fitted rate per step (slope of ln Δe_k)", height=400)


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
    fig.add_vline(x=0.5, line={"color": pal.REFERENCE, "dash": "dot"})
    return style(fig, "Forecasts over the truth (held-out test windows)",
                 "step (0 = last observed)", f"value (channel {channel})", height=400)


def sweep_curves_figure(result) -> go.Figure:
    """Iterative error by horizon for every Lipschitz constant of a sweep (log axis)."""
    fig = go.Figure()
    for p in result.arrays.get("sweep", []):
        e = p["error_by_horizon_iterative"]
        fig.add_trace(go.Scatter(x=list(range(1, len(e) + 1)), y=_finite(e), mode="lines",
                                 name=f"L = {p['lipschitz']:g}: {p['regime']} "
                                      f"(predicts {p['expected_regime']})"))
    fig.update_yaxes(type="log", exponentformat="power")
    return style(fig, "Iterative error by horizon across L (measured)", "steps ahead k",
                 "median error (log scale)", height=400)
