"""Figures for the stack lab: pure functions of a Result (or of one trace dict) -> plotly."""
from __future__ import annotations

import plotly.graph_objects as go

MODEL_COLORS = {"stack": "#2a9d8f", "lstm": "#e76f51", "rnn": "#8d99ae"}
MODEL_NAMES = {"stack": "stack RNN", "lstm": "LSTM", "rnn": "tanh RNN"}
ACTION_COLORS = {"push": "#2a9d8f", "pop": "#e76f51", "no-op": "#bbbbbb"}


def accuracy_vs_length(result) -> go.Figure:
    """Fraction of strings fully right at each length, one line per model."""
    lengths = result.arrays["lengths"]
    fig = go.Figure()
    fig.add_vrect(x0=min(lengths) - 1, x1=result.arrays["train_len"] + 1,
                  fillcolor="#dddddd", opacity=0.35, line_width=0,
                  annotation_text="training lengths", annotation_position="top left")
    for kind, accs in result.arrays["accuracy_by_length"].items():
        fig.add_trace(go.Scatter(x=lengths, y=accs, mode="lines+markers",
                                 name=MODEL_NAMES.get(kind, kind),
                                 line=dict(color=MODEL_COLORS.get(kind))))
    fig.update_layout(title="Accuracy against string length (measured on held-out strings)",
                      xaxis_title="string length (characters)",
                      yaxis_title="strings fully right", yaxis_range=[-0.02, 1.02],
                      legend_title="model", height=380, margin=dict(t=50, b=40))
    return fig


def training_curves(result) -> go.Figure:
    """Held-out accuracy during training, in-range (solid) and on longer strings (dotted)."""
    fig = go.Figure()
    for kind, history in result.arrays["histories"].items():
        evals = [h for h in history if h.get("eval")]
        steps = [h["step"] for h in evals]
        color = MODEL_COLORS.get(kind)
        name = MODEL_NAMES.get(kind, kind)
        fig.add_trace(go.Scatter(x=steps, y=[h["accuracy"] for h in evals], mode="lines",
                                 name=f"{name}: training lengths", line=dict(color=color)))
        fig.add_trace(go.Scatter(x=steps, y=[h["accuracy_long"] for h in evals], mode="lines",
                                 name=f"{name}: longer strings",
                                 line=dict(color=color, dash="dot")))
    fig.update_layout(title="Held-out accuracy while training", xaxis_title="training step",
                      yaxis_title="strings fully right", yaxis_range=[-0.02, 1.02],
                      height=340, margin=dict(t=50, b=40))
    return fig


def _exact_actions(trace: dict) -> list[str]:
    """What the real stack did at each character: push, pop, or nothing (after a break)."""
    out, prev = [], 0
    for depth, state in zip(trace["true_depth"], trace["true_state"]):
        out.append("halt" if state == "broken" else
                   "push" if depth > prev else "pop" if depth < prev else "no-op")
        prev = depth
    return out


def _ticks(trace: dict) -> dict:
    n = len(trace["chars"])
    return dict(tickmode="array", tickvals=list(range(n)),
                ticktext=[f"{c}<br>{i + 1}" if n <= 30 or i % 2 == 0 else c
                          for i, c in enumerate(trace["chars"])])


def action_trace(trace: dict) -> go.Figure:
    """Stacked push / pop / no-op probabilities per character, with the exact stack's action."""
    x = list(range(len(trace["chars"])))
    fig = go.Figure()
    for i, name in enumerate(("push", "pop", "no-op")):
        fig.add_trace(go.Bar(x=x, y=[a[i] for a in trace["actions"]], name=f"learned {name}",
                             marker_color=ACTION_COLORS[name]))
    exact = _exact_actions(trace)
    marks = {"push": "triangle-up", "pop": "triangle-down", "no-op": "circle-open",
             "halt": "x"}
    for action, symbol in marks.items():
        xs = [t for t, a in enumerate(exact) if a == action]
        if xs:
            label = "already broken" if action == "halt" else action
            fig.add_trace(go.Scatter(x=xs, y=[1.08] * len(xs), mode="markers",
                                     name=f"exact stack: {label}",
                                     marker=dict(symbol=symbol, size=9, color="black")))
    fig.update_layout(barmode="stack", title="What the trained stack chose at each character",
                      xaxis=dict(title="character read (position)", **_ticks(trace)),
                      yaxis=dict(title="action probability", range=[0, 1.15]),
                      height=330, margin=dict(t=50, b=40), bargap=0.1)
    return fig


def stack_heatmap(trace: dict) -> go.Figure:
    """Occupancy of each stack cell (0 = top) over time, with the true bracket depth."""
    occupancy = trace["occupancy"]
    x = list(range(len(trace["chars"])))
    hover = [[f"cell {d} below top<br>values {', '.join(f'{v:.2f}' for v in trace['values'][d][t])}"
              for t in x] for d in range(len(occupancy))]
    fig = go.Figure(go.Heatmap(z=occupancy, x=x, y=list(range(len(occupancy))), zmin=0,
                               zmax=1, colorscale="Blues", text=hover,
                               hovertemplate="%{text}<br>occupancy %{z:.2f}<extra></extra>",
                               colorbar=dict(title="occupancy")))
    # A cell d is full when the depth is above d, so the filled column reaches height = depth.
    fig.add_trace(go.Scatter(x=x, y=[d - 0.5 for d in trace["true_depth"]],
                             mode="lines", line=dict(color="#e76f51", width=3, shape="hvh"),
                             name="true depth (exact stack)"))
    fig.add_trace(go.Scatter(x=x, y=[h - 0.5 for h in trace["expected_height"]],
                             mode="lines", line=dict(color="black", width=1.5, dash="dot",
                                                     shape="hvh"),
                             name="learned stack height (sum of occupancy)"))
    fig.update_layout(title="Stack contents over time (learned), true depth on top",
                      xaxis=dict(title="character read (position)", **_ticks(trace)),
                      yaxis=dict(title="stack cell (0 = top), filled up to the depth",
                                 range=[-0.5, len(occupancy) - 0.5]),
                      height=380, margin=dict(t=50, b=40),
                      legend=dict(orientation="h", y=-0.25))
    return fig


def state_table(trace: dict) -> list[dict]:
    """Rows for a small table: each character, the exact state, the model's prediction."""
    predicted = trace.get("predicted_state")
    rows = []
    for t, ch in enumerate(trace["chars"]):
        row = {"position": t + 1, "character": ch, "true depth": trace["true_depth"][t],
               "learned height": round(trace["expected_height"][t], 2),
               "exact state": trace["true_state"][t]}
        if predicted is not None:
            row["predicted state"] = predicted[t]
        else:
            row["P(balanced so far)"] = round(trace["predicted_balanced_prob"][t], 3)
        rows.append(row)
    return rows
