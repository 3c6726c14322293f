"""Figures for the Seq2seq and Attention lab: pure functions of a Result's data, no Streamlit."""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.viz import palette as pal
from core.viz.common import WAITING, placeholder, style
from core.viz.config_input import accepts_config

COLORS = pal.colors_for(("dot", "additive", "general", "none"))


def _by_length(values: dict) -> dict[int, float]:
    """Int keys: a Result read back from JSON has its lengths as strings."""
    return {int(k): v for k, v in (values or {}).items()}


def _labels(tokens) -> list[str]:
    return [f"{i}:{t}" for i, t in enumerate(tokens)]


def _heatmap(weights, input_labels, output_labels, showscale: bool = True) -> go.Heatmap:
    w = np.asarray(weights, dtype=float)
    return go.Heatmap(z=w, x=_labels(input_labels), y=_labels(output_labels[:w.shape[0]]),
                      zmin=0, zmax=1, colorscale="Blues", showscale=showscale,
                      colorbar={"title": "α"},
                      hovertemplate="input %{x}<br>output %{y}<br>α = %{z:.3f}<extra></extra>")


@accepts_config
def headline(live: dict, config: dict) -> go.Figure:
    """The lab's answer, drawn while it trains. Left: the attention map of the probe input
    at the latest measurement (rows are output steps, columns input positions). Right: the
    exact-match accuracy of every model on held-out inputs of each length, the training
    lengths shaded; the no-attention curve falls where one vector stops holding the input."""
    mapped = next(((name, d) for name, d in live.items() if d.get("attention")), None)
    # Short two-line subplot titles and the accuracy axis on the right: in a tablet's or a
    # phone's narrow figure the two titles ran into each other and the accuracy axis title
    # lay over the map.
    left = f"attention<br>step {mapped[1]['step']}" if mapped else "attention<br>on the probe"
    fig = make_subplots(rows=1, cols=2, column_widths=[0.44, 0.56], horizontal_spacing=0.1,
                        subplot_titles=(left, "held-out<br>accuracy"))
    if mapped:
        d = mapped[1]
        fig.add_trace(_heatmap(d["attention"], d["input"], d["output"], showscale=False),
                      row=1, col=1)
        fig.update_yaxes(autorange="reversed", type="category", row=1, col=1)
        fig.update_xaxes(type="category", row=1, col=1)
    else:
        text = (WAITING if not live or config.get("attention")
                != "none" else "no attention: the decoder<br>sees only the final state")
        placeholder(fig, text, xref="x domain", yref="y domain")
    for name, d in live.items():
        fig.add_trace(go.Scatter(x=d["lengths"], y=d["accuracy"], mode="lines+markers",
                                 name=f"{name}, step {d['step']}",
                                 line_color=COLORS.get(name)), row=1, col=2)
    low = int(config.get("min_len", 1))
    high = int(config.get("max_len", low))
    longest = max(high, int(config.get("test_max_len", high)))
    fig.add_vrect(x0=low - 0.5, x1=high + 0.5, fillcolor=pal.BLUISH_GREEN, opacity=0.08, line_width=0,
                  row=1, col=2)
    fig.update_xaxes(title_text="input position : token", row=1, col=1)
    fig.update_yaxes(title_text="output step : token", row=1, col=1)
    fig.update_xaxes(title_text="input length (shaded: trained)", row=1, col=2,
                     range=[low - 0.7, longest + 0.7])
    fig.update_yaxes(title_text="exact-match accuracy", range=[-0.03, 1.05], row=1, col=2,
                     side="right")
    fig.update_annotations(font_size=12)
    # each subplot's title at its outer edge, so a narrow figure keeps the two apart
    left_title, right_title = fig.layout.annotations[:2]
    left_title.update(x=fig.layout.xaxis.domain[0], xanchor="left")
    right_title.update(x=fig.layout.xaxis2.domain[1], xanchor="right")
    fig.update_layout(margin=dict(l=10, r=10, t=44, b=10),
                      legend=dict(orientation="h", y=-0.3, x=1.0, xanchor="right"))
    return fig


def attention_heatmap(weights, input_labels, output_labels, title: str = "") -> go.Figure:
    """α (T_y, T_x): input tokens across, output tokens down."""
    fig = go.Figure(_heatmap(weights, input_labels, output_labels))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    return style(fig, title, "input position : token", "output step : token", height=360)


def step_entropy_figure(entropies, tx: int) -> go.Figure:
    """Entropy of each decoder step's attention (measured) against the uniform ln T_x."""
    fig = go.Figure(go.Bar(x=list(range(len(entropies))), y=list(entropies),
                           name="measured H(α_t)"))
    fig.add_hline(y=math.log(tx), line_dash="dash",
                  annotation_text=f"uniform alignment: ln T_x = {math.log(tx):.2f}")
    fig.update_layout(showlegend=False)
    return style(fig, "Entropy of each output step's attention (measured)", "output step t",
                 "entropy (nats)", height=300)


def alignment_simulation_figure(sim: dict, width: float) -> go.Figure:
    """Mean alignment entropy against T_x: the Gaussian and uniform simulations beside their
    closed forms, and the trained model's measured entropy."""
    L = sim["lengths"]
    fig = go.Figure()
    fig.add_scatter(x=L, y=sim["uniform_closed_form"], mode="lines",
                    name="uniform, closed form ln T_x", line={"dash": "dash", "color": pal.REFERENCE})
    fig.add_scatter(x=L, y=sim["uniform_simulated"], mode="markers", name="uniform, simulated",
                    marker={"color": pal.REFERENCE, "symbol": "circle-open", "size": 9})
    fig.add_scatter(x=L, y=sim["gaussian_closed_form"], mode="lines",
                    name=f"Gaussian σ={width:g}, closed form ½ln(2πeσ²)",
                    line={"dash": "dot", "color": pal.VERMILLION})
    fig.add_scatter(x=L, y=sim["gaussian_simulated"], mode="markers",
                    name=f"Gaussian σ={width:g}, simulated", marker={"color": pal.VERMILLION})
    if sim.get("measured"):
        fig.add_scatter(x=sim["measured_lengths"], y=sim["measured"], mode="lines+markers",
                        name="trained model, measured", line={"color": COLORS["dot"]})
    return style(fig, "Mean alignment entropy against input length", "input length T_x",
                 "mean alignment entropy (nats)", height=380)


def accuracy_by_length_figure(metrics: dict, train_lengths) -> go.Figure:
    """Exact-match and token accuracy per input length for every model the run trained."""
    fig = go.Figure()
    for label, m in (metrics.get("comparison") or {}).items():
        exact, tokens = _by_length(m["accuracy_by_length"]), _by_length(
            m["token_accuracy_by_length"])
        xs = sorted(exact)
        fig.add_scatter(x=xs, y=[exact[x] for x in xs], mode="lines+markers",
                        name=f"{label}: sequence accuracy", line={"color": COLORS.get(label)})
        fig.add_scatter(x=xs, y=[tokens[x] for x in xs], mode="lines",
                        name=f"{label}: token accuracy",
                        line={"color": COLORS.get(label), "dash": "dot"})
    if train_lengths:
        fig.add_vrect(x0=min(train_lengths) - 0.5, x1=max(train_lengths) + 0.5,
                      fillcolor=pal.BLUISH_GREEN, opacity=0.08, line_width=0,
                      annotation_text="training lengths", annotation_position="top left")
    fig.update_yaxes(range=[-0.02, 1.05])
    return style(fig, "Accuracy against input length on fresh test inputs (greedy)",
                 "input length", "accuracy", height=380)


def training_curve_figure(histories: dict, sharp_ratio: float | None = None) -> go.Figure:
    """Held-out accuracy of every model, and the attention's entropy ratio, at each
    measurement; a dashed line at the ratio training stops under."""
    fig = go.Figure()
    if sharp_ratio is not None:
        fig.add_hline(y=sharp_ratio, line_dash="dash", line_color=pal.REFERENCE,
                      annotation_text=f"stop ratio {sharp_ratio:g}")
    for name, history in histories.items():
        evals = [h for h in history if h.get("eval")]
        steps = [h["step"] for h in evals]
        fig.add_scatter(x=steps, y=[h["accuracy"] for h in evals], mode="lines+markers",
                        name=f"{name}: held-out accuracy", line={"color": COLORS.get(name)})
        if evals and evals[0].get("alignment_entropy_ratio") is not None:
            fig.add_scatter(x=steps, y=[h["alignment_entropy_ratio"] for h in evals],
                            mode="lines+markers", name=f"{name}: entropy ratio H/ln T_x",
                            line={"dash": "dot", "color": COLORS.get(name)})
    fig.update_yaxes(range=[0, 1.05])
    return style(fig, "Held-out accuracy and alignment entropy as training goes",
                 "training step", "fraction", height=340)


def beam_tree_figure(tree: list, width: int) -> go.Figure:
    """Kept beam nodes placed by step (across) and by rank within the step (down); each
    labelled with its token ("name") and cumulative log-probability. The chosen path is
    highlighted."""
    by_step: dict[int, list] = {}
    for node in tree:
        by_step.setdefault(node["step"], []).append(node)
    pos = {}
    for step, nodes in by_step.items():
        for rank, node in enumerate(sorted(nodes, key=lambda n: -n["log_prob"])):
            pos[node["id"]] = (step, rank)
    fig = go.Figure()
    for node in tree:
        if node["parent"] is None:
            continue
        (x0, y0), (x1, y1) = pos[node["parent"]], pos[node["id"]]
        fig.add_scatter(x=[x0, x1], y=[y0, y1], mode="lines", showlegend=False,
                        hoverinfo="skip",
                        line={"color": COLORS["dot"] if node["best"] else pal.REFERENCE,
                              "width": 3 if node["best"] else 1})
    for best in (False, True):
        nodes = [n for n in tree if n["best"] == best]
        fig.add_scatter(
            x=[pos[n["id"]][0] for n in nodes], y=[pos[n["id"]][1] for n in nodes],
            mode="markers+text", name="chosen hypothesis" if best else "kept in the beam",
            text=[n["name"] for n in nodes], textposition="top center",
            customdata=[[n["log_prob"], "finished" if n["finished"] else ""] for n in nodes],
            hovertemplate="log p = %{customdata[0]:.3f} %{customdata[1]}<extra></extra>",
            marker={"size": 10, "color": COLORS["dot"] if best else pal.REFERENCE,
                    "symbol": ["square" if n["finished"] else "circle" for n in nodes]})
    deepest = max((rank for _, rank in pos.values()), default=0)
    fig.update_yaxes(range=[deepest + 0.4, -0.6], dtick=1)  # room for the top row's labels
    fig.update_xaxes(dtick=1)
    return style(fig, "Beam search: every prefix kept, by step and rank", "decoding step",
                 f"rank in the beam (width {width})")


def capacity_figure(sweep: dict) -> go.Figure:
    """Measured accuracy of the no-attention model against d_h, per input length."""
    fig = go.Figure()
    accuracy = _by_length(sweep["accuracy_by_length"])
    for L in sorted(accuracy):
        fig.add_scatter(x=sweep["hidden"], y=accuracy[L], mode="lines+markers",
                        name=f"length {L}")
    fig.update_xaxes(type="log")
    fig.update_yaxes(range=[-0.02, 1.05])
    style(fig, "No-attention accuracy as the context shrinks (measured)",
          "context size d_h (units, log scale)", "sequence accuracy", height=340)
    return fig.update_layout(legend=dict(orientation="v", x=1.02, y=1))
