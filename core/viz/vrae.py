"""Figures for the VRAE lab: pure functions of a Result (or of probe output) -> plotly figures."""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots


def _evals(result) -> list[dict]:
    return [h for h in result.history if h.get("eval")]


def elbo_curves(result) -> go.Figure:
    """Held-out ELBO, reconstruction and KL per sequence, with the KL weight w on a second axis."""
    evals = _evals(result)
    steps = [h["step"] for h in evals]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for key, name in (("elbo", "ELBO"), ("reconstruction", "reconstruction −log p(x|z)"),
                      ("kl", "KL(q(z|x) ‖ p(z))")):
        fig.add_scatter(x=steps, y=[h[key] for h in evals], name=name, mode="lines+markers")
    fig.add_scatter(x=result.arrays["schedule_steps"], y=result.arrays["schedule_curve"],
                    name="KL weight w (schedule)", line=dict(dash="dot", color="gray"),
                    secondary_y=True)
    fig.update_xaxes(title_text="training step")
    fig.update_yaxes(title_text="nats per sequence (held out)", secondary_y=False)
    fig.update_yaxes(title_text="KL weight w", range=[0, 1.05], secondary_y=True)
    fig.update_layout(title="ELBO = −reconstruction − KL, measured on held-out inputs",
                      legend=dict(orientation="h", y=-0.25))
    return fig


def kl_per_dimension(result) -> go.Figure:
    """Heatmap of KL carried by each latent dimension at every measurement."""
    heat = result.arrays["kl_heatmap"]
    dims = len(heat[0]) if heat else 0
    fig = go.Figure(go.Heatmap(z=[list(r) for r in zip(*heat)] if heat else [[]],
                               x=result.arrays["kl_heatmap_steps"],
                               y=[f"z{d + 1}" for d in range(dims)],
                               colorscale="Viridis", colorbar=dict(title="KL (nats)")))
    fig.update_layout(title="KL per latent dimension (measured); a dark row is a collapsed unit",
                      xaxis_title="training step", yaxis_title="latent dimension")
    return fig


def latent_map(result) -> go.Figure:
    """Posterior means of held-out inputs in 2-D, coloured by class."""
    xy = result.arrays["latent_2d"]
    classes = result.arrays["latent_classes"]
    names = result.arrays["examples"]
    fig = go.Figure()
    for cls in sorted(set(classes)):
        idx = [i for i, c in enumerate(classes) if c == cls]
        fig.add_scatter(x=[xy[i][0] for i in idx], y=[xy[i][1] for i in idx], mode="markers",
                        name=str(cls), text=[names[i] for i in idx],
                        hovertemplate="%{text}<extra></extra>")
    d = result.config.get("latent_dim", 2)
    explained = result.arrays.get("latent_explained") or []
    if d == 2:
        xt, yt = "z1 (posterior mean)", "z2 (posterior mean)"
    else:
        share = [f" ({e:.0%} of variance)" if e == e and e is not None else "" for e in explained]
        share += ["", ""]
        xt, yt = f"principal component 1{share[0]}", f"principal component 2{share[1]}"
    fig.update_layout(title="Latent map: μ of held-out inputs, coloured by a known attribute",
                      xaxis_title=xt, yaxis_title=yt, legend_title="class")
    return fig


def curves_figure(curves: list, labels: list, title: str, inputs: list | None = None,
                  input_labels: list | None = None) -> go.Figure:
    """Decoded waveforms stacked one above the other; real inputs dashed."""
    fig = go.Figure()
    offset = 2.6
    for k, curve in enumerate(curves):
        fig.add_scatter(y=[v - k * offset for v in curve], mode="lines", name=str(labels[k]))
    for k, curve in enumerate(inputs or []):
        row = 0 if k == 0 else len(curves) - 1
        fig.add_scatter(y=[v - row * offset for v in curve], mode="lines",
                        line=dict(dash="dash", color="black"),
                        name=(input_labels or ["input"] * 2)[k])
    fig.update_layout(title=title, xaxis_title="time step",
                      yaxis=dict(title="value (each row shifted down by 2.6)",
                                 showticklabels=False))
    return fig


def interpolation_figure(interp: dict) -> go.Figure:
    labels = [f"λ = {lam:.2f}" for lam in interp["lambda"]]
    return curves_figure(interp["decoded"], labels,
                         f"Decoded along z_λ = (1−λ) z_a + λ z_b: {interp['start']} → "
                         f"{interp['end']}", interp["inputs"],
                         [f"input a: {interp['start']}", f"input b: {interp['end']}"])


def autoencoder_comparison(arrays: dict) -> go.Figure:
    """Held-out MSE against sequence length, one line per decoder form (log scale)."""
    lengths = arrays["lengths"]
    fig = go.Figure()
    for form, res in arrays["forms"].items():
        fig.add_scatter(x=lengths, y=res["by_length"], mode="lines+markers",
                        name=f"{form}" + (" (free-running)" if form == "autoregressive" else ""))
        if form == "autoregressive":
            fig.add_scatter(x=lengths, y=res["teacher_forced_by_length"], mode="lines+markers",
                            line=dict(dash="dot"), name="autoregressive (teacher-forced)")
    fig.update_layout(title="Plain sequence autoencoders: reconstruction error vs length "
                            "(measured, same data and seed)",
                      xaxis_title="sequence length (steps)",
                      yaxis=dict(title="held-out mean squared error", type="log"))
    return fig
