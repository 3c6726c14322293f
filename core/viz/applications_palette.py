"""One colour per model name across the Applications lab's sections, shared by the headline
figures, the tabs and the live loss chart."""
from __future__ import annotations

from core.viz.common import PALETTE

COLORS = {"CNN → BiLSTM": "#1f77b4", "CNN": "#ff7f0e", "BiLSTM": "#2ca02c",
          "shared": "#1f77b4", "tagging only": "#9467bd", "sequence only": "#8c564b",
          "plain": "#7f7f7f", "weighted": "#d62728", "focal": "#17becf",
          "every step": "#1f77b4", "every k steps": "#ff7f0e", "end only": "#2ca02c",
          "repeat": "#1f77b4", "sequence": "#d62728", "autoregressive": "#2ca02c"}


def color(name: str, i: int = 0) -> str:
    return COLORS.get(name, PALETTE[i % len(PALETTE)])
