"""The Applications lab's headline figure: one per section, chosen by the run's config."""
from __future__ import annotations

import plotly.graph_objects as go

from core.viz.anomaly import anomaly_headline
from core.viz.common import PALETTE
from core.viz.dna import dna_headline
from core.viz.multitask import multitask_headline
from core.viz.rare_events import events_headline

# One colour per model name across the sections, shared with the live loss chart.
COLORS = {"CNN → BiLSTM": "#1f77b4", "CNN": "#ff7f0e", "BiLSTM": "#2ca02c",
          "shared": "#1f77b4", "tagging only": "#9467bd", "sequence only": "#8c564b",
          "plain": "#7f7f7f", "weighted": "#d62728", "focal": "#17becf",
          "every step": "#1f77b4", "every k steps": "#ff7f0e", "end only": "#2ca02c",
          "repeat": "#1f77b4", "sequence": "#d62728", "autoregressive": "#2ca02c"}

HEADLINES = {"dna": dna_headline, "multitask": multitask_headline, "events": events_headline,
             "anomaly": anomaly_headline}


def color(name: str, i: int = 0) -> str:
    return COLORS.get(name, PALETTE[i % len(PALETTE)])


def headline(live: dict, config: dict) -> go.Figure:
    """The section's answer, drawn from each model's latest measurements (live) or a
    finished run's; something sensible with no data yet."""
    return HEADLINES[config.get("section", "dna")](live, config, color)
