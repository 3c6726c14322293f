"""Presets: a lab's story in named steps. Picking one sets every knob (the rest to their
defaults); its note says what to look for."""
from __future__ import annotations

import dataclasses

import streamlit as st

from core.contract import knobs


def preset_state_key(lab) -> str:
    return f"preset:{lab.id}"


def apply_preset(lab, name: str, widget_key, store: dict) -> None:
    """Put the preset's values (defaults elsewhere) into widget state and the knob store."""
    preset = lab.preset(name)
    if preset is None:
        return
    st.session_state[preset_state_key(lab)] = name
    defaults = lab.Config()
    for f in knobs(lab.Config):
        if f.name == "seed":
            continue
        value = preset.overrides.get(f.name, getattr(defaults, f.name))
        st.session_state[widget_key(lab.id, f.name)] = value
        store[f.name] = value
    if preset.sweep:  # this step of the story is a sweep: fill in its form and open its tab
        from ui.sweep_panel import select_sweep
        select_sweep(lab, preset.sweep)


def preset_picker(lab, widget_key, store: dict):
    """The row of story steps; returns the active Preset or None."""
    if not lab.presets:
        return None
    names = [p.name for p in lab.presets]
    pick_key = f"preset-pick:{lab.id}"
    active = st.session_state.get(preset_state_key(lab))
    if st.session_state.get(pick_key) != active:
        st.session_state[pick_key] = active  # keep the control in step with links

    def on_pick():
        chosen = st.session_state.get(pick_key)
        if chosen:
            apply_preset(lab, chosen, widget_key, store)
        else:
            st.session_state[preset_state_key(lab)] = None

    st.pills("Presets — the lab's story, step by step", names, key=pick_key,
             on_change=on_pick, help="Each preset sets every knob; its note says what to look "
                                     "for. Change any knob afterwards to explore.")
    return lab.preset(active) if active else None  # its note is shown beside the figures


def preset_fields(lab, preset) -> set[str]:
    names = {f.name for f in dataclasses.fields(lab.Config)}
    return set(preset.show) & names if preset is not None else set()
