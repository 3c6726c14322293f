"""Under a finished run, one line per model: what it trained with (issue #27).

A comparison is only read fairly with each model's sizes in view: a rival that took fewer
steps (it trains as many as the headline model took), a smaller batch, or a width matched
to another's parameter count must say so where the figures are. The lines are drawn from
`result.arrays["trained_with"]`, which `core.arms.finish` records for every lab, so this is
the one place for all of them. Every value is shown as literal text.
"""
from __future__ import annotations

import streamlit as st

from core.contract import knobs
from core.verdict import model_name
from ui.escape import escape_markdown

# Short names for the size knobs, so a line fits a phone's width in two or three rows.
SHORT = {"batch": "batch {}", "seq_len": "T = {}", "length": "T = {}", "window": "window {}",
         "stream_len": "stream {}", "train_len": "strings ≤ {}", "context": "C = {}",
         "horizon": "H = {}", "hidden": "hidden {}", "filters": "filters {}", "lr": "lr {}"}
ENDED = {"stopped": "stopped", "diverged": "diverged"}


def trained_with_lines(result, lab=None) -> list[str]:
    """'LSTM — 625 steps × batch 64, T = 80, hidden 64, lr 0.003 · 17,412 parameters ·
    6.9 s', one per model; [] for a Result that has no records (a stored run from older
    code) or records of the wrong shape. `lab` gives other knobs their widget labels."""
    arrays = getattr(result, "arrays", None)
    records = arrays.get("trained_with") if isinstance(arrays, dict) else None
    if not isinstance(records, list):
        return []
    labels = {f.name: f.metadata["label"] for f in knobs(lab.Config)} if lab is not None else {}
    lines = []
    for record in records:
        try:
            lines.append(_line(record, labels))
        except (AttributeError, KeyError, TypeError, ValueError):
            continue  # a stored record this code cannot read: leave it out, keep the rest
    return lines


def _line(record: dict, labels: dict) -> str:
    knobs, run_values = dict(record.get("knobs") or {}), record.get("run_values") or {}
    sizes = []
    low, high = knobs.pop("min_len", None), knobs.pop("max_len", None)
    for name, value in knobs.items():
        text = SHORT.get(name, f"{labels.get(name, name)} {{}}").format(_value(value))
        if name in run_values:
            text += f" (knob: {_value(run_values[name])})"
        sizes.append(text)
    if low is not None and high is not None:
        sizes.insert(1 if "batch" in knobs else 0, f"lengths {_value(low)}–{_value(high)}")
    head = f"{model_name(str(record['name']))} — {int(record['steps']):,} steps"
    parts = [head + (" × " + ", ".join(sizes) if sizes else "")]
    if record.get("parameters"):
        parts.append(f"{int(record['parameters']):,} parameters")
    parts.append(f"{float(record['seconds']):.1f} s")
    if record.get("criterion_step") is not None:
        early = record.get("status") == "succeeded"
        parts.append(("stopped early: " if early else "")
                     + f"criterion met at step {int(record['criterion_step']):,}")
    elif record.get("status") in ENDED:
        parts.append(ENDED[record["status"]])
    return " · ".join(parts)


def _value(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def show_trained_with(result, lab=None, key: str = "") -> None:
    """The lines as captions under a heading, in a container the page tests find by key
    (`trained-with-<key>`: the lab's id for its main run, the panel's for a study)."""
    lines = trained_with_lines(result, lab)
    if not lines:
        return
    with st.container(key=f"trained-with-{key or result.lab}"):
        st.caption("Trained with (each model):")
        for line in lines:
            st.caption(escape_markdown(line))
