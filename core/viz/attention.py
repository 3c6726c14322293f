"""Figures for the attention lab: pure functions of a Result's data, no Streamlit."""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go


def attention_heatmap(weights, input_labels, output_labels, title: str = "") -> go.Figure:
    """α (T_y, T_x): input tokens across, output tokens down."""
    w = np.asarray(weights, dtype=float)
    xs = [f"{i}:{t}" for i, t in enumerate(input_labels)]
    ys = [f"{t}:{o}" for t, o in enumerate(output_labels[:w.shape[0]])]
    fig = go.Figure(go.Heatmap(z=w, x=xs, y=ys, zmin=0, zmax=1, colorscale="Blues",
                               colorbar={"title": "α"},
                               hovertemplate="input %{x}<br>output %{y}<br>α = %{z:.3f}"
                                             "<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title="output step : token", type="category")
    fig.update_xaxes(title="input position : token", type="category")
    fig.update_layout(title=title, height=380, margin={"t": 40, "b": 40})
    return fig


def step_entropy_figure(entropies, tx: int) -> go.Figure:
    """Entropy of each decoder step's attention (measured) against the uniform ln T_x."""
    steps = list(range(len(entropies)))
    fig = go.Figure(go.Bar(x=steps, y=list(entropies), name="measured H(α_t)"))
    fig.add_hline(y=math.log(tx), line_dash="dash",
                  annotation_text=f"uniform alignment: ln T_x = {math.log(tx):.2f}")
    fig.update_layout(xaxis_title="output step t", yaxis_title="entropy (nats)", height=300,
                      margin={"t": 30}, showlegend=False)
    return fig


def alignment_simulation_figure(sim: dict, measured_ratio_by_length: dict | None,
                                width: float) -> go.Figure:
    """Mean alignment entropy against T_x: the Gaussian and uniform simulations beside their
    closed forms, and the trained model's measured entropy."""
    L = sim["lengths"]
    fig = go.Figure()
    fig.add_scatter(x=L, y=sim["uniform_closed_form"], mode="lines", name="uniform, closed form ln T_x",
                    line={"dash": "dash", "color": "gray"})
    fig.add_scatter(x=L, y=sim["uniform_simulated"], mode="markers", name="uniform, simulated",
                    marker={"color": "gray", "symbol": "circle-open", "size": 9})
    fig.add_scatter(x=L, y=sim["gaussian_closed_form"], mode="lines",
                    name=f"Gaussian σ={width:g}, closed form ½ln(2πeσ²)",
                    line={"dash": "dot", "color": "#d62728"})
    fig.add_scatter(x=L, y=sim["gaussian_simulated"], mode="markers",
                    name=f"Gaussian σ={width:g}, simulated", marker={"color": "#d62728"})
    if measured_ratio_by_length:
        xs = sorted(int(k) for k in measured_ratio_by_length)
        ys = [measured_ratio_by_length.get(x, measured_ratio_by_length.get(str(x))) * math.log(x)
              for x in xs]
        fig.add_scatter(x=xs, y=ys, mode="lines+markers", name="trained model, measured",
                        line={"color": "#1f77b4"})
    fig.update_layout(xaxis_title="input length T_x", yaxis_title="mean alignment entropy (nats)",
                      height=360, margin={"t": 30}, legend={"orientation": "h", "y": -0.25})
    return fig


def accuracy_by_length_figure(metrics: dict, train_lengths, main_label: str) -> go.Figure:
    """Exact-match and token accuracy per input length, attention vs no attention."""
    fig = go.Figure()
    curves = [(main_label, metrics)]
    if "comparison" in metrics:
        curves.append(("none", metrics["comparison"]["none"]))
    colors = {main_label: "#1f77b4", "none": "#ff7f0e"}
    for label, m in curves:
        xs = sorted(int(k) for k in m["accuracy_by_length"])
        get = lambda d, x: d.get(x, d.get(str(x)))  # noqa: E731 (keys may be str after JSON)
        fig.add_scatter(x=xs, y=[get(m["accuracy_by_length"], x) for x in xs],
                        mode="lines+markers", name=f"{label}: sequence accuracy",
                        line={"color": colors.get(label)})
        fig.add_scatter(x=xs, y=[get(m["token_accuracy_by_length"], x) for x in xs],
                        mode="lines", name=f"{label}: token accuracy",
                        line={"color": colors.get(label), "dash": "dot"})
    if train_lengths:
        fig.add_vrect(x0=min(train_lengths) - 0.5, x1=max(train_lengths) + 0.5,
                      fillcolor="green", opacity=0.08, line_width=0,
                      annotation_text="training lengths", annotation_position="top left")
    fig.update_layout(xaxis_title="input length", yaxis_title="accuracy (greedy decoding)",
                      yaxis_range=[-0.02, 1.05], height=360, margin={"t": 30},
                      legend={"orientation": "h", "y": -0.25})
    return fig


def training_curve_figure(history: list, rival_history: list | None) -> go.Figure:
    """Held-out accuracy and alignment entropy ratio at each checkpoint."""
    fig = go.Figure()
    evals = [h for h in history if h.get("eval")]
    fig.add_scatter(x=[h["step"] for h in evals], y=[h["accuracy"] for h in evals],
                    mode="lines+markers", name="attention: accuracy")
    if evals and "alignment_entropy_ratio" in evals[0]:
        fig.add_scatter(x=[h["step"] for h in evals],
                        y=[h["alignment_entropy_ratio"] for h in evals], mode="lines+markers",
                        name="attention: entropy ratio H/ln T_x", line={"dash": "dot"})
    if rival_history:
        rev = [h for h in rival_history if h.get("eval")]
        fig.add_scatter(x=[h["step"] for h in rev], y=[h["accuracy"] for h in rev],
                        mode="lines+markers", name="none: accuracy")
    fig.update_layout(xaxis_title="training step", yaxis_title="fraction", height=320,
                      yaxis_range=[0, 1.05], margin={"t": 30},
                      legend={"orientation": "h", "y": -0.3})
    return fig


def beam_tree_figure(tree: list, names, width: int) -> go.Figure:
    """Kept beam nodes placed by step (across) and by rank within the step (down); each
    labelled with its token and cumulative log-probability. The chosen path is highlighted."""
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
                        line={"color": "#1f77b4" if node["best"] else "#bbbbbb",
                              "width": 3 if node["best"] else 1})
    for best in (False, True):
        nodes = [n for n in tree if n["best"] == best]
        fig.add_scatter(
            x=[pos[n["id"]][0] for n in nodes], y=[pos[n["id"]][1] for n in nodes],
            mode="markers+text", name="chosen hypothesis" if best else "kept in the beam",
            text=[names(n["token"]) for n in nodes], textposition="top center",
            customdata=[[n["log_prob"], "finished" if n["finished"] else ""] for n in nodes],
            hovertemplate="log p = %{customdata[0]:.3f} %{customdata[1]}<extra></extra>",
            marker={"size": 10, "color": "#1f77b4" if best else "#999999",
                    "symbol": ["square" if n["finished"] else "circle" for n in nodes]})
    fig.update_yaxes(autorange="reversed", title=f"rank in the beam (width {width})",
                     dtick=1)
    fig.update_xaxes(title="decoding step", dtick=1)
    fig.update_layout(height=320, margin={"t": 30}, legend={"orientation": "h", "y": -0.3})
    return fig


def capacity_figure(sweep: dict) -> go.Figure:
    """Measured accuracy of the no-attention model against d_h, per input length."""
    fig = go.Figure()
    for L, accs in sweep["accuracy_by_length"].items():
        fig.add_scatter(x=sweep["hidden"], y=accs, mode="lines+markers", name=f"length {L}")
    fig.update_xaxes(type="log", title="context size d_h (units)")
    fig.update_layout(yaxis_title="sequence accuracy (measured)", yaxis_range=[-0.02, 1.05],
                      height=340, margin={"t": 30})
    return fig
