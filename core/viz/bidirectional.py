"""Figures for the Bidirectional lab: pure functions of a Result (or a measured view) to plotly."""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

COLORS = {"uni": "#636EFA", "bi": "#EF553B", "bi, future hidden": "#FFA15A",
          "forward": "#636EFA", "backward": "#EF553B"}


def accuracy_by_direction(result) -> go.Figure:
    """Held-out accuracy of each trained direction, the bi model read with its future hidden,
    and the causal bound 1/K (theory) as a line."""
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
                           text=[f"{v:.2f}" for v in values], textposition="outside",
                           name="measured"))
    bound = result.metrics.get("causal_bound")
    if bound is not None:
        fig.add_hline(y=bound, line_dash="dash", line_color="black",
                      annotation_text=f"causal bound (theory) = {bound:.3f}")
    fig.add_hline(y=result.metrics.get("chance_accuracy", 0), line_dash="dot",
                  line_color="gray", annotation_text="chance",
                  annotation_position="bottom right")
    fig.update_layout(title=f"Accuracy on '{result.config['task']}' (held-out, measured)",
                      xaxis_title="model", yaxis_title="accuracy", yaxis_range=[0, 1.12],
                      showlegend=False, height=380)
    return fig


def accuracy_curves(result) -> go.Figure:
    fig = go.Figure()
    for d, history in result.arrays.get("histories", {}).items():
        evals = [h for h in history if h.get("eval")]
        fig.add_scatter(x=[h["step"] for h in evals], y=[h["accuracy"] for h in evals],
                        mode="lines+markers", name=d, line_color=COLORS[d])
    bound = result.metrics.get("causal_bound")
    if bound is not None:
        fig.add_hline(y=bound, line_dash="dash", line_color="black",
                      annotation_text="causal bound (theory)")
    fig.update_layout(title="Held-out accuracy during training", xaxis_title="training step",
                      yaxis_title="accuracy", yaxis_range=[0, 1.05], height=340)
    return fig


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
