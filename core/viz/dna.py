"""Figures for the DNA lab: accuracy over training per model,
planted and learned motif logos, and the hybrid's saliency along a probe sequence."""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.viz import palette as pal
from core.viz.common import placeholder, style
from core.viz.config_input import accepts_config
from core.viz.logos import BASE_COLORS, add_logo


# every model the lab compares, in the colours the palette gives them
COLORS = pal.colors_for(("CNN → BiLSTM", "CNN", "BiLSTM"))


@accepts_config
def headline(live: dict, config: dict) -> go.Figure:
    """The DNA lab's headline figure, from each model's latest measurements (live)
    or a finished run's; something sensible with no data yet."""
    return dna_headline(live, config, pal.color)


def dna_headline(live: dict, config: dict, color) -> go.Figure:
    """Validation accuracy against training step for each model; the target and the best
    a motif-presence rule can do (dotted) for reference."""
    fig = go.Figure()
    ceiling = None
    for i, (name, data) in enumerate(live.items()):
        fig.add_trace(go.Scatter(x=data["steps"], y=data["accuracy"], mode="lines+markers",
                                 name=name, line_color=color(name, i), marker_size=4))
        ceiling = data.get("presence_ceiling", ceiling)
    target = float(config.get("target_acc", 0.9))
    fig.add_hline(y=target, line_dash="dash", line_color=pal.REFERENCE,
                  annotation_text=f"target {target:.2f}", annotation_position="top left")
    if ceiling is not None:
        fig.add_hline(y=ceiling, line_dash="dot", line_color=pal.REFERENCE,
                      annotation_text=f"motif presence alone {ceiling:.2f} (validation)",
                      annotation_position="bottom right")
    fig.update_yaxes(range=[0.4, 1.02])
    if not live:
        placeholder(fig)
    gap = f"{config.get('gap_min', '')}–{config.get('gap_max', '')}"
    return style(fig, f"Accuracy on held-out DNA (A then B, {gap} bases apart)",
                 "training step", "validation accuracy")


def logo_figure(logos: dict, model: str) -> go.Figure:
    """Planted motif logos (left) beside the best-matching first-layer filter's (right),
    the filter's drawn at the shift that aligns it with the motif."""
    def title(motif: str) -> str:
        found = logos[motif]
        moved = f", shifted {found['shift']:+d}" if found["shift"] else ""
        # two lines: on a phone's half width one ran into the planted motif's title
        return (f"{model} filter {found['filter']}<br>(similarity {found['similarity']:.2f}"
                f"{moved})")
    fig = make_subplots(rows=2, cols=2, horizontal_spacing=0.08, vertical_spacing=0.22,
                        subplot_titles=[f"planted A ({logos['A']['consensus']})", title("A"),
                                        f"planted B ({logos['B']['consensus']})", title("B")])
    width = len(logos["A"]["planted"]["heights"])
    shifts = [logos[m]["shift"] for m in ("A", "B")]
    for row, motif in ((1, "A"), (2, "B")):
        add_logo(fig, logos[motif]["planted"]["heights"], row=row, col=1)
        add_logo(fig, logos[motif]["learned"]["heights"], row=row, col=2,
                 x_offset=logos[motif]["shift"])
    style(fig, f"Motifs planted vs learned by the {model}'s first layer", "", "", height=480)
    fig.update_yaxes(range=[0, 2.05], title_text="bits")
    fig.update_xaxes(dtick=1, range=[0.4 + min(0, *shifts), width + 0.6 + max(0, *shifts)])
    fig.update_xaxes(title_text="position in the planted motif", row=2)
    fig.update_layout(showlegend=False, margin=dict(t=80))
    return fig


def saliency_figure(probe: dict, what: str = "a positive probe sequence") -> go.Figure:
    """Gradient × input of the hybrid at every base of a sequence, bases coloured, every
    occurrence of motifs A and B shaded."""
    values, bases = probe["saliency"], probe["bases"]
    fig = go.Figure(go.Bar(x=list(range(1, len(values) + 1)), y=values,
                           marker_color=[BASE_COLORS[b] for b in bases],
                           customdata=list(bases), name="gradient × input",
                           hovertemplate="base %{x} (%{customdata}): %{y:.3f}<extra></extra>"))
    w = probe["width"]
    for name, starts, fill in (("A", probe["a_starts"], "gold"), ("B", probe["b_starts"],
                                                                  "plum")):
        for start in starts:
            fig.add_vrect(x0=start + 0.5, x1=start + w + 0.5, fillcolor=fill, opacity=0.3,
                          line_width=0, annotation_text=name, annotation_position="top left")
    truth = "holds" if probe["grammar_holds"] else "does not hold"
    return style(fig, f"Where the hybrid looks along {what}: P(grammar) = "
                      f"{probe['probability']:.2f}; the grammar {truth}",
                 "base position", "gradient × input", height=320)


def accuracy_bars(result) -> go.Figure:
    m = result.metrics
    acc = m["accuracy_by_model"]
    names = list(acc)
    fig = go.Figure(go.Bar(x=names, y=[acc[n] for n in names],
                           marker_color=[pal.color(n, i) for i, n in enumerate(names)],
                           text=[f"{acc[n]:.2f}" for n in names]))
    fig.add_hline(y=m["presence_ceiling"], line_dash="dot",
                  annotation_text=f"motif presence alone {m['presence_ceiling']:.2f} (test)")
    fig.add_hline(y=m["majority_accuracy"], line_dash="dash", line_color=pal.REFERENCE,
                  annotation_text="majority class", annotation_position="bottom right")
    fig.update_yaxes(range=[0, 1.05])
    return style(fig, f"Test accuracy after {result.steps} steps each, same data and seed",
                 "model", "test accuracy")
