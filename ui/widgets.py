"""Widgets generated from a lab's Config: one widget per knob, built from its metadata.

Streamlit forgets the state of a widget that is not drawn in a run, and knobs disappear
(a `visible_if` condition, present mode); so the last value of every knob is also kept in a
per-lab store and handed back to its widget when it is drawn again.

A value the browser sends that differs from the one the page last drew is drawn back to the
browser as the value (`_echo_browser_change`). A slider commits its keys 200 ms after the
last one, so its commit can cross a preset's redraw: the server then holds the slider's value
while the browser, having applied the preset's afterwards, shows the preset's. The one
failure of the link test since links were remembered (screen T = 80 with the preset
"forget-gate bias", link seq_len=79 with that preset) needs a run that held both.
"""
from __future__ import annotations

import dataclasses

import streamlit as st

from core.contract import knobs

LOG_STEPS = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)


def widget_key(lab_id: str, name: str) -> str:
    return f"{lab_id}.{name}"


def knob_store(lab) -> dict:
    return st.session_state.setdefault(f"knobs:{lab.id}", {})


def _visible(meta: dict, values: dict) -> bool:
    return all(values.get(other) in allowed for other, allowed in meta["visible_if"].items())


def _widget(f: dataclasses.Field, key: str):
    """Draw the knob's widget. Its value comes from session state when set (a link, a
    preset, an earlier run), else from the field's default.

    The current value is also passed as the widget's default, every time. Session state
    still decides the value; the default is what the browser falls back to when it loses a
    widget's state while a live run's fragment redraws (seen in a class test: every knob of
    a training page jumped to its minimum, the default a widget drawn without one gets).
    Identity is unaffected: a keyed widget is identified by its key and, for sliders, its
    range."""
    meta, default = f.metadata, f.default
    current = st.session_state.get(key, default)
    common = {"label": meta["label"], "help": meta["help"], "key": key}
    if isinstance(default, bool):
        return st.toggle(**common, value=bool(current))
    if meta["choices"] is not None:
        choices = list(meta["choices"])
        index = choices.index(current) if current in choices else choices.index(default)
        return st.selectbox(options=choices, index=index, **common)
    if meta["widget"] == "log":
        options = sorted(set(LOG_STEPS) | {default, current})
        options = [v for v in options if meta["min"] <= v <= meta["max"]]
        value = current if current in options else default
        return st.select_slider(options=options, format_func=lambda v: f"{v:g}", value=value,
                                **common)
    if isinstance(default, int):
        lo, hi = int(meta["min"]), int(meta["max"])
        if hi - lo <= 10_000:
            return st.slider(min_value=lo, max_value=hi, step=int(meta["step"] or 1),
                             value=int(current), **common)
        return st.number_input(min_value=lo, max_value=hi, step=1, value=int(current), **common)
    return st.slider(min_value=float(meta["min"]), max_value=float(meta["max"]),
                     step=float(meta["step"] or 0.01), value=float(current), **common)


def config_widgets(lab, fixed: dict | None = None, only: set[str] | None = None,
                   primary: tuple | None = None):
    """Draw a widget for every knob of `lab.Config` and return the Config they describe.

    Primary knobs (`primary`, default the lab's own) are drawn where the caller is; the rest
    fold under "More settings", which opens by itself when a link or preset has set one of
    them, and says which. `fixed` knobs take the given values without a widget; with `only`,
    just those knobs are drawn (present mode) and the others keep their stored values; a
    knob whose `visible_if` fails is not drawn and keeps its stored value (it has no effect
    then). Raises ConfigError when the knobs contradict each other.
    """
    fixed = dict(fixed or {})
    store = knob_store(lab)
    primary = set(lab.primary if primary is None else primary)
    defaults = lab.Config()
    values: dict = {}
    main_area = st.container()
    folded = [f for f in knobs(lab.Config) if f.name not in fixed and f.name not in primary
              and only is None]
    changed = [f for f in folded if _current(lab, f, store) != getattr(defaults, f.name)]
    more = None
    if folded:
        if changed:
            main_area.caption("Also set, under More settings: " + ", ".join(
                f"{f.metadata['label']} = {_current(lab, f, store)}" for f in changed))
        more = st.expander("More settings", expanded=bool(changed), icon=":material/tune:")
    last_drawn = st.session_state.setdefault(f"drawn:{lab.id}", {})
    for f in knobs(lab.Config):
        if f.name in fixed:
            continue
        key = widget_key(lab.id, f.name)
        if key not in st.session_state and f.name in store:
            st.session_state[key] = store[f.name]
        drawn = (only is None or f.name in only) and _visible(f.metadata, {**values, **fixed})
        if drawn:
            _echo_browser_change(key, last_drawn)
            with main_area if (only is not None or f.name in primary) else more:
                values[f.name] = last_drawn[key] = _widget(f, key)
        else:
            values[f.name] = st.session_state.get(key, store.get(f.name, f.default))
        store[f.name] = values[f.name]
    return lab.make_config({**values, **fixed})


def _echo_browser_change(key: str, last_drawn: dict) -> None:
    """Send a knob's value back to the browser when it is not the value the page last drew.

    Assigning a widget's state before it draws makes Streamlit send the value with the
    widget, and the browser shows it; a value the browser itself sent is shown already, so
    only a browser whose state lags behind the server (a late commit crossing a preset's
    redraw) sees a change."""
    if key in last_drawn and key in st.session_state and st.session_state[key] != last_drawn[key]:
        st.session_state[key] = st.session_state[key]


def _current(lab, f: dataclasses.Field, store: dict):
    """A knob's value before its widget draws: widget state, else the store, else default."""
    return st.session_state.get(widget_key(lab.id, f.name), store.get(f.name, f.default))
