"""Figures for the pointer lab: pure functions of a Result (or of one decoded example)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

THEORY_COLOR = "#9e9e9e"
ARM_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]


def _arm_color(i: int) -> str:
    return ARM_COLORS[i % len(ARM_COLORS)]


def distribution_heatmap(example: dict) -> go.Figure:
    """Output distribution at every decoding step; circles mark the target positions."""
    probs = example["probs"]
    width = len(probs[0]) if probs else 0
    n = len(example["values"])
    values = example.get("raw_values", example["values"])  # typed numbers as typed
    labels = [f"{i} ({values[i]:.3g})" if i < n else f"{i} (none)" for i in range(width)]
    steps = [f"step {t}" for t in range(len(probs))]
    fig = go.Figure(go.Heatmap(z=probs, x=labels, y=steps, colorscale="Blues", zmin=0, zmax=1,
                               colorbar={"title": "probability"},
                               hovertemplate="%{y}, %{x}: p = %{z:.3f}<extra></extra>"))
    target = example["target"]
    if example.get("is_set"):
        xs = [labels[j] for j in target if j < width for _ in steps]
        ys = [s for j in target if j < width for s in steps]
        name = "target set"
    else:
        pairs = [(labels[j], steps[t]) for t, j in enumerate(target) if j < width]
        xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
        name = "target"
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name=name,
                             marker={"symbol": "circle-open", "size": 14, "color": "#ff7f0e",
                                     "line": {"width": 2}}))
    what = "input position (value)" if example["decoder"] == "pointer" else \
        "vocabulary index (value at that position)"
    fig.update_layout(title=f"{example['decoder']} decoder: where each step puts its mass",
                      xaxis_title=what, yaxis_title="decoding step",
                      yaxis={"autorange": "reversed"}, height=360 + 8 * len(probs))
    return fig


def permutation_arrows(example: dict) -> go.Figure:
    """Input positions on top, output steps below; an arrow from the position each step
    emitted to that step, green when it matches the target (set membership for sets)."""
    emitted, target = example["emitted"], example["target"]
    values = example.get("raw_values", example["values"])
    n, K = len(values), len(emitted)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(range(n)), y=[1] * n, mode="markers+text",
                             text=[f"{v:.3g}" for v in values], textposition="top center",
                             marker={"size": 12, "color": "#1f77b4"}, name="input"))
    fig.add_trace(go.Scatter(x=list(range(K)), y=[0] * K, mode="markers+text",
                             text=[f"t={t}" for t in range(K)], textposition="bottom center",
                             marker={"size": 12, "color": "#7f7f7f"}, name="output step"))
    for t, j in enumerate(emitted):
        right = (j in target) if example.get("is_set") else (t < len(target) and target[t] == j)
        inside = j < n
        fig.add_annotation(x=t, y=0.05, ax=min(j, n - 1), ay=0.95, xref="x", yref="y",
                           axref="x", ayref="y", showarrow=True, arrowhead=2, arrowwidth=2,
                           arrowcolor="#2ca02c" if right and inside else "#d62728")
    fig.update_layout(title="Emitted order: arrow from the chosen input position to the step "
                            "that emitted it (green right, red wrong)",
                      xaxis_title="position (top: input index, bottom: output step)",
                      yaxis={"visible": False, "range": [-0.4, 1.4]}, height=320,
                      showlegend=False)
    return fig


def permutation_table(example: dict) -> pd.DataFrame:
    values, n = example["values"], len(example["values"])
    raw = example.get("raw_values", values)
    rows = []
    for t, j in enumerate(example["emitted"]):
        target = example["target"][t] if t < len(example["target"]) else None
        right = (j in example["target"]) if example.get("is_set") else (j == target)
        rows.append({"step": t, "emitted position": j,
                     "its value": raw[j] if j < n else None,
                     "target position": target, "correct": bool(right)})
    return pd.DataFrame(rows)


def accuracy_by_length(result) -> go.Figure:
    """Exact match per input length for every trained decoder, with the training range and
    the vocabulary's limit marked."""
    cfg, comp = result.config, result.metrics["comparison"]
    fig = go.Figure()
    for i, (name, summary) in enumerate(comp.items()):
        by_len = summary["accuracy_by_length"]
        xs = sorted(int(k) for k in by_len)
        fig.add_trace(go.Scatter(x=xs, y=[by_len[k] if k in by_len else by_len[str(k)]
                                          for k in xs], mode="lines+markers", name=name,
                                 line={"color": _arm_color(i)}))
    fig.add_vrect(x0=cfg["min_len"] - 0.5, x1=cfg["max_len"] + 0.5, fillcolor="#cccccc",
                  opacity=0.25, line_width=0, annotation_text="training lengths",
                  annotation_position="top left")
    fig.update_layout(title="Exact match against input length (measured)",
                      xaxis_title="input length n", yaxis_title="exact-match accuracy",
                      yaxis={"range": [-0.02, 1.02]}, height=380)
    return fig


def uniform_loss_bars(result) -> go.Figure:
    """The zeroed decoder's measured loss beside T·log T and log T! (theory), and each trained
    decoder's loss at the same length (measured)."""
    m, T = result.metrics, result.config["max_len"]
    names = ["T·log T (theory)", "log T! (theory, uniform with masking)",
             "zeroed output layer (measured)"]
    heights = [m["t_log_t"], m["log_t_factorial"], m["zeroed_decoder_loss"]]
    colors = [THEORY_COLOR, THEORY_COLOR, "#ff7f0e"]
    if not result.config["task"] == "select":
        for i, (name, summary) in enumerate(m["comparison"].items()):
            loss = summary.get("trained_loss_at_T")
            names.append(f"trained {name} (measured)")
            heights.append(loss if loss is not None else float("nan"))
            colors.append(_arm_color(i))
    fig = go.Figure(go.Bar(x=names, y=heights, marker_color=colors,
                           text=[f"{h:.3f}" if h == h else "∞" for h in heights],
                           textposition="outside"))
    fig.update_layout(title=f"Loss per sequence at T = {T} (nats)",
                      xaxis_title="decoder", yaxis_title="negative log-likelihood (nats)",
                      height=400)
    return fig


def set_loss_bars(result) -> go.Figure:
    """Each trained model scored by both set losses, with the log k! floor (theory) that a
    fixed-order loss cannot go below when the data lists the set in random order."""
    m = result.metrics
    fig = go.Figure()
    for i, (name, summary) in enumerate(m["comparison"].items()):
        losses = summary.get("set_losses") or {}
        fig.add_trace(go.Bar(x=["Hungarian-matched loss", "fixed-order loss"],
                             y=[losses.get("hungarian"), losses.get("fixed")], name=name,
                             marker_color=_arm_color(i)))
    floor = m.get("fixed_order_loss_floor")
    if floor is not None:
        fig.add_hline(y=floor, line_dash="dash", line_color=THEORY_COLOR,
                      annotation_text=f"log k! = {floor:.2f} (theory: fixed-order floor)")
    fig.update_layout(title="Set losses on held-out inputs (measured, per sequence)",
                      xaxis_title="how the loss is scored", yaxis_title="nats per sequence",
                      barmode="group", height=380)
    return fig


def training_curves(result) -> go.Figure:
    """Held-out exact match during training for every arm."""
    fig = go.Figure()
    histories = {result.arrays.get("main", "main"): result.history,
                 **result.arrays.get("rival_histories", {})}
    for i, (name, history) in enumerate(histories.items()):
        evals = [h for h in history if h.get("eval")]
        fig.add_trace(go.Scatter(x=[h["step"] for h in evals], y=[h["accuracy"] for h in evals],
                                 mode="lines+markers", name=name, line={"color": _arm_color(i)}))
    fig.update_layout(title="Held-out exact match while training (training lengths)",
                      xaxis_title="optimiser step", yaxis_title="exact-match accuracy",
                      yaxis={"range": [-0.02, 1.02]}, height=340)
    return fig
