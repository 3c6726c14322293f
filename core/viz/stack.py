"""Figures for the stack lab: pure functions of a Result (or of one trace dict) -> plotly."""
from __future__ import annotations

import plotly.graph_objects as go

from core.viz import palette as pal
from core.viz.common import WAITING, placeholder, style
from core.viz.config_input import accepts_config

MODEL_COLORS = pal.colors_for(("stack", "lstm", "rnn"))
MODEL_NAMES = {"stack": "stack RNN", "lstm": "LSTM", "rnn": "tanh RNN"}
ACTION_COLORS = {"push": pal.BLUISH_GREEN, "pop": pal.VERMILLION, "no-op": pal.REFERENCE}


def accuracy_vs_length(result) -> go.Figure:
    """Fraction of strings fully right at each length, one line per model."""
    lengths = result.arrays["lengths"]
    fig = go.Figure()
    fig.add_vrect(x0=min(lengths) - 1, x1=result.arrays["train_len"] + 1,
                  fillcolor=pal.REFERENCE, opacity=0.35, line_width=0,
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


def _ticks(trace: dict) -> dict:
    n = len(trace["chars"])
    return dict(tickmode="array", tickvals=list(range(n)),
                ticktext=[f"{c}<br>{i + 1}" if n <= 30 or i % 2 == 0 else c
                          for i, c in enumerate(trace["chars"])])


EXACT_MARKS = {"push": "triangle-up", "pop": "triangle-down", "halt": "x"}


def _action_bars(fig: go.Figure, actions: list, exact: list) -> None:
    """Stacked push / pop / no-op probabilities per character, and above them the exact
    stack's action at that character (nothing is defined once the string has broken)."""
    x = list(range(len(actions)))
    for i, name in enumerate(("push", "pop", "no-op")):
        fig.add_trace(go.Bar(x=x, y=[a[i] for a in actions], name=f"learned {name}",
                             marker_color=ACTION_COLORS[name]))
    for action, symbol in EXACT_MARKS.items():
        xs = [t for t, a in enumerate(exact) if a == action]
        if xs:
            label = "already broken" if action == "halt" else action
            fig.add_trace(go.Scatter(x=xs, y=[1.08] * len(xs), mode="markers",
                                     name=f"exact stack: {label}",
                                     marker=dict(symbol=symbol, size=8, color=pal.REFERENCE)))
    fig.update_layout(barmode="stack", bargap=0.1, legend_traceorder="normal")


def action_trace(trace: dict) -> go.Figure:
    """Stacked push / pop / no-op probabilities per character, with the exact stack's action."""
    fig = go.Figure()
    _action_bars(fig, trace["actions"], trace["exact"])
    fig.update_layout(title="What the trained stack chose at each character",
                      xaxis=dict(title="character read (position)", **_ticks(trace)),
                      yaxis=dict(title="action probability", range=[0, 1.15]),
                      height=330, margin=dict(t=50, b=40))
    return fig


def latest(live: dict, model: str) -> dict | None:
    """The newest figure data of `model`: under its own name once a run is done, or under
    "<model> · init k" while its initialisations train (each payload numbers itself)."""
    found = [v for k, v in live.items() if k == model or k.startswith(f"{model} · ")]
    return max(found, key=lambda v: v.get("order", 0)) if found else None


@accepts_config
def headline(live: dict, config: dict) -> go.Figure:
    """The lab's answer, drawn while it trains: the stack model's push / pop / no-op
    probabilities on each character of one long probe string, re-traced at every
    measurement, against the exact stack's action. A run without a stack model (an LSTM or
    tanh RNN alone) has nothing to trace: it shows that model's accuracy by length."""
    if config.get("model") == "stack" or config.get("compare"):
        return _trace_headline(latest(live, "stack"), config)
    return _length_headline(latest(live, config.get("model", "")), config)


def _trace_headline(data: dict | None, config: dict) -> go.Figure:
    fig = go.Figure()
    if data is None:
        first = config.get("model", "stack")
        wait = (WAITING if first == "stack" else
                f"the stack RNN trains after the {MODEL_NAMES.get(first, first)}; "
                "its trace appears then")
        placeholder(fig, wait)
        title, ticks = "Stack actions on a long probe string", {}
    else:
        _action_bars(fig, data["actions"], data["exact"])
        agreement = data.get("agreement")
        title = f"Stack actions, step {data['step']}" + (
            f": mean P(exact) = {agreement:.2f}" if agreement is not None else "")
        ticks = dict(tickmode="array", tickvals=list(range(len(data["text"]))),
                     ticktext=list(data["text"]))
    fig.update_layout(xaxis=dict(title="probe string, one character per bar", **ticks),
                      yaxis=dict(title="action probability", range=[0, 1.15]))
    return style(fig, title, "probe string, one character per bar", "action probability")


def _length_headline(data: dict | None, config: dict) -> go.Figure:
    kind = config.get("model", "")
    name = MODEL_NAMES.get(kind, kind)
    train_len = int(config.get("train_len", 0))
    fig = go.Figure()
    fig.add_vrect(x0=1, x1=train_len + 1, fillcolor=pal.REFERENCE, opacity=0.35, line_width=0,
                  annotation_text="training lengths", annotation_position="top left")
    if data is None:
        placeholder(fig)
    else:
        where = "test" if data.get("measured_on") == "test" else "validation"
        fig.add_trace(go.Scatter(x=data["lengths"], y=data["accuracy"], mode="lines+markers",
                                 name=f"{name}, step {data['step']} ({where} strings)",
                                 line=dict(color=MODEL_COLORS.get(kind))))
    fig.update_yaxes(range=[-0.02, 1.02])
    return style(fig, f"{name}: accuracy by length (no stack to trace)",
                 "string length (characters)", "strings fully right")


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
                             mode="lines", line=dict(color=pal.VERMILLION, width=3, shape="hvh"),
                             name="true depth (exact stack)"))
    fig.add_trace(go.Scatter(x=x, y=[h - 0.5 for h in trace["expected_height"]],
                             mode="lines", line=dict(color=pal.REFERENCE, width=1.5, dash="dot",
                                                     shape="hvh"),
                             name="learned stack height (sum of occupancy)"))
    # the shared look puts the legend at the figure's foot, under the x-axis title it covered
    style(fig, "Stack contents over time (learned), true depth on top",
          "character read (position)", "stack cell (0 = top)",
          height=380)
    fig.update_xaxes(**_ticks(trace))
    fig.update_yaxes(range=[-0.5, len(occupancy) - 0.5])
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
