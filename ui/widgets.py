"""Widgets generated from a lab's Config: one widget per knob, built from its metadata."""
from __future__ import annotations

import dataclasses

import streamlit as st

from core.contract import knobs

LOG_STEPS = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
SIDEBAR_KNOBS = ("seed",)  # set once in the sidebar for every lab


def widget_key(lab_id: str, name: str) -> str:
    return f"{lab_id}.{name}"


def _visible(meta: dict, values: dict) -> bool:
    return all(values.get(other) in allowed for other, allowed in meta["visible_if"].items())


def _widget(f: dataclasses.Field, key: str):
    meta, default = f.metadata, f.default
    common = {"label": meta["label"], "help": meta["help"], "key": key}
    if isinstance(default, bool):
        return st.toggle(value=default, **common)
    if meta["choices"] is not None:
        choices = list(meta["choices"])
        return st.selectbox(options=choices, index=choices.index(default), **common)
    if meta["widget"] == "log":
        options = sorted(set(LOG_STEPS) | {default})
        options = [v for v in options if meta["min"] <= v <= meta["max"]]
        return st.select_slider(options=options, value=default,
                                format_func=lambda v: f"{v:g}", **common)
    if isinstance(default, int):
        lo, hi = int(meta["min"]), int(meta["max"])
        if hi - lo <= 10_000:
            return st.slider(min_value=lo, max_value=hi, value=default,
                             step=int(meta["step"] or 1), **common)
        return st.number_input(min_value=lo, max_value=hi, value=default, step=1, **common)
    return st.slider(min_value=float(meta["min"]), max_value=float(meta["max"]),
                     value=float(default), step=float(meta["step"] or 0.01), **common)


def config_widgets(lab, columns: int = 3, fixed: dict | None = None):
    """Render a widget for every knob of `lab.Config` (except those in `fixed`, which take
    the given values, and those whose `visible_if` condition fails, which keep their default)
    and return the Config they describe."""
    fixed = dict(fixed or {})
    values: dict = {}
    shown = [f for f in knobs(lab.Config) if f.name not in fixed]
    cols = st.columns(columns)
    slot = 0
    for f in shown:
        if not _visible(f.metadata, {**values, **fixed}):
            continue
        with cols[slot % columns]:
            values[f.name] = _widget(f, widget_key(lab.id, f.name))
        slot += 1
    return lab.make_config({**values, **fixed})
