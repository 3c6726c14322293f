"""Figures for the VRAE lab: pure functions of a Result, a live payload or probe output."""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.viz import palette as pal
from core.viz.common import placeholder, style, wrap_title
from core.viz.config_input import accepts_config

COLORS = pal.colors_for(("vrae",))
A_COLOR, B_COLOR = pal.BLUE, pal.VERMILLION
ROW_OFFSET = 2.2  # waveforms lie in [-1, 1]: rows this far apart never overlap


def _blend(frac: float) -> str:
    """The colour a fraction `frac` of the way from input a's colour to input b's."""
    a = [int(A_COLOR[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(B_COLOR[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + frac * (y - x)):02x}" for x, y in zip(a, b))


def _evals(result) -> list[dict]:
    return [h for h in result.history if h.get("eval")]


@accepts_config
def headline(live: dict, config: dict) -> go.Figure:
    """The lab's answer, drawn while it trains: the sequences decoded free-running from
    points on the straight line between the latent means of two test inputs of different
    classes, redrawn at every measurement. Early on every point decodes the same average
    sequence; once z carries the input, the path turns one input into the other."""
    data = live.get("vrae") or next(iter(live.values()), None)
    if not data:
        fig = go.Figure()
        placeholder(fig)
        kind = "time step" if config.get("dataset", "waveforms") == "waveforms" else "letter"
        return style(fig, "Decoded path between two test inputs", kind,
                     "point on the path (λ)")
    fig = path_figure(data)
    fig.update_layout(title_text=wrap_title(
        # no break inside "w = 1.00" or "KL = 0.25 nats" (non-breaking spaces)
        f"{_pair_title(data)} · step {data['step']} · w\u00a0=\u00a0{data['kl_weight']:.2f} · "
        f"validation KL\u00a0=\u00a0{data['kl']:.2f}\u00a0nats"))
    return fig


def _pair_title(path: dict) -> str:
    """The two ends by class for waveforms ("sine → square"), by the words themselves."""
    if path.get("kind") == "discrete" or not path.get("classes"):
        return f"{path['start']} → {path['end']}"
    return f"{path['classes'][0]} → {path['classes'][1]}"


def path_figure(path: dict) -> go.Figure:
    """Decodes along z_λ = (1−λ) z_a + λ z_b: stacked curves for waveforms (the two real
    inputs dashed beside their ends), a letter grid for words."""
    if path.get("kind") == "discrete" or (path["decoded"] and isinstance(path["decoded"][0], str)):
        return _letter_grid(path)
    lams, decoded, inputs = path["lambda"], path["decoded"], path["inputs"]
    fig = go.Figure()
    last = len(decoded) - 1
    for k, curve in enumerate(decoded):
        fig.add_scatter(y=[v - k * ROW_OFFSET for v in curve], mode="lines",
                        line=dict(color=_blend(k / max(last, 1)), width=2),
                        name="decoded from z_λ", legendgroup="decoded", showlegend=k == 0,
                        hovertemplate=f"λ = {lams[k]:.2f}<br>t = %{{x}}, x = %{{customdata:.2f}}"
                                      "<extra></extra>", customdata=curve)
    for row, curve, name, color in ((0, inputs[0], "input a", A_COLOR),
                                    (last, inputs[1], "input b", B_COLOR)):
        fig.add_scatter(y=[v - row * ROW_OFFSET for v in curve], mode="lines", name=name,
                        line=dict(dash="dash", color=color, width=1), opacity=0.8)
    fig.update_yaxes(tickvals=[-k * ROW_OFFSET for k in range(len(decoded))],
                     ticktext=[f"λ={lam:.2f}" for lam in lams], zeroline=False)
    return style(fig, f"Path {_pair_title(path)}: decoded along z_λ", "time step",
                 "path point λ (shifted)", height=340)


def _letter_grid(path: dict) -> go.Figure:
    """One row per decoded word, one cell per letter: blue where it has input a's letter at
    that position, red where it has b's, purple for both, gray for neither."""
    a, b = path["inputs"]
    rows = [f"input a: {a}"] + [f"λ={lam:.2f}" for lam in path["lambda"]] + [f"input b: {b}"]
    words = [a] + list(path["decoded"]) + [b]
    width = max(len(w) for w in words) or 1
    z, text = [], []
    for word in words:
        cells = list(word.ljust(width))
        z.append([(1 if k < len(a) and c == a[k] else 0) + (2 if k < len(b) and c == b[k] else 0)
                  if c != " " else None for k, c in enumerate(cells)])
        text.append(cells)
    scale = [[0.0, pal.REFERENCE], [0.25, pal.REFERENCE], [0.25, A_COLOR], [0.5, A_COLOR],
             [0.5, B_COLOR], [0.75, B_COLOR], [0.75, pal.REDDISH_PURPLE], [1.0, pal.REDDISH_PURPLE]]
    fig = go.Figure(go.Heatmap(z=z, x=list(range(1, width + 1)), y=rows, text=text,
                               texttemplate="%{text}", zmin=0, zmax=3, colorscale=scale,
                               showscale=False, xgap=2, ygap=2,
                               hovertemplate="%{y}, letter %{x}: %{text}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category")
    return style(fig, f"Path {_pair_title(path)} (blue: a's letter, red: b's)", "letter position",
                 "point on the path", height=340)


def elbo_curves(result) -> go.Figure:
    """Above: −ELBO and its reconstruction term per sequence (log scale, they span orders of
    magnitude from the untrained model on). Below: the KL, with the annealing weight w the
    schedule set on a second axis, up to the last step trained."""
    evals = _evals(result)
    steps = [h["step"] for h in evals]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        specs=[[{}], [{"secondary_y": True}]])
    fig.add_scatter(x=steps, y=[-h["elbo"] for h in evals], name="−ELBO", mode="lines+markers",
                    row=1, col=1)
    fig.add_scatter(x=steps, y=[h["reconstruction"] for h in evals], mode="lines+markers",
                    name="reconstruction −log p(x|z)", row=1, col=1)
    fig.add_scatter(x=steps, y=[h["kl"] for h in evals], name="KL(q(z|x) ‖ p(z))",
                    mode="lines+markers", row=2, col=1)
    trained = [(s, w) for s, w in zip(result.arrays["schedule_steps"],
                                      result.arrays["schedule_curve"]) if s <= result.steps]
    fig.add_scatter(x=[s for s, _ in trained], y=[w for _, w in trained],
                    name="KL weight w (schedule)", line=dict(dash="dot", color=pal.REFERENCE),
                    row=2, col=1, secondary_y=True)
    fig.update_yaxes(title_text="nats (log)", type="log", row=1, col=1)
    fig.update_yaxes(title_text="KL (nats)", rangemode="tozero", row=2, col=1, secondary_y=False)
    fig.update_yaxes(title_text="w", range=[0, 1.05], dtick=0.25, showgrid=False, row=2, col=1,
                     secondary_y=True)
    fig.update_xaxes(title_text="training step", row=2, col=1)
    return style(fig, "ELBO = −reconstruction − KL, measured on validation inputs",
                 "", "nats (log)", height=460)


def kl_per_dimension(result) -> go.Figure:
    """Heatmap of the KL each latent dimension carries at every measurement."""
    heat = result.arrays["kl_heatmap"]
    dims = len(heat[0]) if heat else 0
    fig = go.Figure(go.Heatmap(z=[list(r) for r in zip(*heat)] if heat else [[]],
                               x=result.arrays["kl_heatmap_steps"],
                               y=[f"z{d + 1}" for d in range(dims)],
                               colorscale="Viridis", colorbar=dict(title="KL (nats)")))
    return style(fig, "KL per latent dimension (measured); a dark row is a collapsed unit",
                 "training step", "latent dimension", height=340)


def latent_map(result, colour_by: str = "class") -> go.Figure:
    """Posterior means of test inputs in 2-D, coloured by their class or by a generating
    attribute (a number gets a colour scale)."""
    xy = result.arrays["latent_2d"]
    names = result.arrays["examples"]
    values = (result.arrays["latent_classes"] if colour_by == "class"
              else result.arrays["latent_attributes"][colour_by])
    xs, ys = [p[0] for p in xy], [p[1] for p in xy]
    fig = go.Figure()
    if values and isinstance(values[0], (int, float)):
        fig.add_scatter(x=xs, y=ys, mode="markers", text=names, name=colour_by,
                        marker=dict(color=values, colorscale="Viridis", showscale=True,
                                    colorbar=dict(title=colour_by)),
                        hovertemplate="%{text}<extra></extra>")
    else:
        for value in sorted(set(values)):
            idx = [i for i, v in enumerate(values) if v == value]
            fig.add_scatter(x=[xs[i] for i in idx], y=[ys[i] for i in idx], mode="markers",
                            name=str(value), text=[names[i] for i in idx],
                            hovertemplate="%{text}<extra></extra>")
    explained = result.arrays.get("latent_explained") or []
    if result.config.get("latent_dim") == 2:
        xt, yt = "z1 (posterior mean)", "z2 (posterior mean)"
    else:
        share = [f" ({e:.0%} of variance)" if e is not None and e == e else "" for e in explained]
        share += ["", ""]
        xt, yt = f"principal component 1{share[0]}", f"principal component 2{share[1]}"
    return style(fig, f"Latent map: μ of test inputs, coloured by {colour_by}", xt, yt,
                 height=420)


def reconstruction_figure(recs: list[dict]) -> go.Figure:
    """Each test input (dashed) with its free-running decode from μ on the same row."""
    fig = go.Figure()
    for k, rec in enumerate(recs):
        fig.add_scatter(y=[v - k * ROW_OFFSET for v in rec["decoded"]], mode="lines",
                        line=dict(color=COLORS["vrae"], width=2), name="decoded from μ",
                        legendgroup="decoded", showlegend=k == 0)
        fig.add_scatter(y=[v - k * ROW_OFFSET for v in rec["input"]], mode="lines",
                        line=dict(color=pal.REFERENCE, dash="dash", width=1), name="test input",
                        legendgroup="input", showlegend=k == 0)
    fig.update_yaxes(tickvals=[-k * ROW_OFFSET for k in range(len(recs))],
                     ticktext=[f"input {k + 1}" for k in range(len(recs))], zeroline=False)
    return style(fig, "Test inputs and their decodes from μ", "time step",
                 "sequence (rows shifted)", height=max(300, 60 + 60 * len(recs)))


def curves_figure(curves: list, labels: list, title: str, inputs: list | None = None,
                  input_labels: list | None = None) -> go.Figure:
    """Decoded waveforms stacked one above the other; the real inputs dashed on the first and
    last rows."""
    fig = go.Figure()
    for k, curve in enumerate(curves):
        fig.add_scatter(y=[v - k * ROW_OFFSET for v in curve], mode="lines", name=str(labels[k]))
    for k, curve in enumerate(inputs or []):
        row = 0 if k == 0 else len(curves) - 1
        fig.add_scatter(y=[v - row * ROW_OFFSET for v in curve], mode="lines",
                        line=dict(dash="dash", color=pal.REFERENCE),
                        name=(input_labels or ["input"] * 2)[k])
    fig.update_yaxes(tickvals=[-k * ROW_OFFSET for k in range(len(curves))],
                     ticktext=[str(x) for x in labels], zeroline=False)
    return style(fig, title, "time step", "sequence (rows shifted)",
                 height=max(300, 60 + 45 * len(curves)))


def autoencoder_comparison(arrays: dict) -> go.Figure:
    """Test MSE against sequence length, one line per decoder form (log scale)."""
    lengths = arrays["lengths"]
    fig = go.Figure()
    for form, res in arrays["forms"].items():
        fig.add_scatter(x=lengths, y=res["by_length"], mode="lines+markers",
                        name=f"{form}" + (" (free-running)" if form == "autoregressive" else ""))
        if form == "autoregressive":
            fig.add_scatter(x=lengths, y=res["teacher_forced_by_length"], mode="lines+markers",
                            line=dict(dash="dot"), name="autoregressive (teacher-forced)")
    fig.update_yaxes(type="log")
    return style(fig, "Plain sequence autoencoders: error vs length (measured, same data and "
                      "seed)", "sequence length (steps)", "test mean squared error (log)",
                 height=380)


def lever_bars(study) -> go.Figure:
    """KL and active units on the test set for the collapsed baseline and each single lever."""
    levers = study.metrics["levers"]
    names = list(levers)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(x=names, y=[levers[n]["kl"] for n in names], name="KL (nats)",
                text=[f"{levers[n]['kl']:.2f}" for n in names], offsetgroup=0)
    fig.add_bar(x=names, y=[levers[n]["active_units"] for n in names], name="active units",
                text=[str(levers[n]["active_units"]) for n in names], offsetgroup=1,
                secondary_y=True)
    fig.add_hline(y=study.metrics["kl_clear"], line_dash="dot",
                  annotation_text="KL clearly above zero")
    fig.update_yaxes(title_text="active units", rangemode="tozero", showgrid=False,
                     secondary_y=True)
    return style(fig, "One lever at a time: KL and active units on the test set",
                 "run (baseline, then one knob changed)", "KL (nats per sequence)", height=380)
