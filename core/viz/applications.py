"""The Applications lab's headline figure: one per section, chosen by the run's config."""
from __future__ import annotations

import plotly.graph_objects as go

from core.viz import palette as pal
from core.viz.anomaly import anomaly_headline
from core.viz.config_input import accepts_config
from core.viz.dna import dna_headline
from core.viz.multitask import multitask_headline
from core.viz.rare_events import events_headline

__all__ = ["COLORS", "headline"]

# every model or weighting the sections compare, in the colours the palette gives them
COLORS = pal.colors_for(("CNN → BiLSTM", "CNN", "BiLSTM", "shared", "tagging only",
                         "sequence only", "plain", "weighted", "focal", "every step",
                         "every k steps", "end only", "repeat", "sequence", "autoregressive"))

HEADLINES = {"dna": dna_headline, "multitask": multitask_headline, "events": events_headline,
             "anomaly": anomaly_headline}


@accepts_config
def headline(live: dict, config: dict) -> go.Figure:
    """The section's answer, drawn from each model's latest measurements (live) or a
    finished run's; something sensible with no data yet."""
    return HEADLINES[config.get("section", "dna")](live, config, pal.color)
