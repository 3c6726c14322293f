"""Names for people: a knob's label from its Config field, a metric's raw name in words."""
from __future__ import annotations

from core.contract import knobs


def knob_labels(lab) -> dict:
    """Raw knob name -> its widget label."""
    return {f.name: f.metadata["label"] for f in knobs(lab.Config)}


def metric_label(name: str) -> str:
    """`backward_share_magnitude` -> "backward share magnitude"; a dotted name
    (`comparison.rnn.accuracy`) reads as its parts joined by "›"."""
    parts = [part.replace("_", " ").strip() for part in str(name).split(".")]
    return " › ".join(part for part in parts if part) or str(name)
