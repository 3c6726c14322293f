"""Links: a page's knobs, seed, preset and present mode live in its URL.

Opening a link restores every knob; a parameter that is unknown or has a bad value is ignored
with a notice naming it. The URL is rewritten in every run of the page, in one assignment,
from the widget values that same run resolved, holding only what differs from the defaults
(with a preset, from what the preset sets), so copying it at any moment reproduces what is
on screen.

A link is applied only the first time a session sees it. Every rerun the browser asks for
carries the address bar as it was when the user clicked; when the click comes before the
previous run's new URL has reached the browser, that is an older URL, one the page itself
wrote or the link it was opened with. Applying it again would undo the click (seen: a preset
pick reverted to the previous preset, a cell choice lost); so every URL the page has applied
or written is remembered, and only one it has never seen counts as a link.
"""
from __future__ import annotations

import dataclasses
import reprlib  # a pasted link can be huge: notices quote it shortened

import streamlit as st

from core.contract import ConfigError, coerce_value, config_dict, validate_value
from ui.escape import escape_markdown

GLOBAL_PARAMS = ("seed", "present")  # set in the sidebar by app.py, shared by every page
PAGE_PARAMS = ("preset",)
SEED_MAX = 2**31 - 1


def apply_global_link() -> list[str]:
    """Before the sidebar draws: take the seed and present mode from the URL, once per URL."""
    params = st.query_params.to_dict()
    if not _first_sight("link-global", params):
        return []
    notices = []
    if "seed" in params:
        try:
            seed = int(params["seed"])
            if not 0 <= seed <= SEED_MAX:
                raise ValueError
            st.session_state["seed"] = seed
        except ValueError:
            notices.append(f"seed={reprlib.repr(params['seed'])} is not a whole number from 0 "
                           f"to {SEED_MAX}")
    if "present" in params:
        st.session_state["present"] = params["present"].lower() in ("1", "true", "yes", "on")
    return notices


def apply_lab_link(lab, widget_key, preset_overrides) -> list[str]:
    """Before the lab's widgets draw: copy valid knob values from the URL into their state,
    the first time the session sees that URL, and return a notice for everything ignored. A `preset` in the link
    is applied first (`preset_overrides(name)`), then the knobs the link names."""
    params = st.query_params.to_dict()
    if not _first_sight(f"link:{lab.id}", params):
        return []
    fields = {f.name: f for f in dataclasses.fields(lab.Config)}
    notices = []
    if "preset" in params:
        if lab.preset(params["preset"]) is None:
            notices.append(f"preset={reprlib.repr(params['preset'])} is not a preset of this lab")
        else:
            preset_overrides(params["preset"])
    for name, raw in params.items():
        if name in GLOBAL_PARAMS or name in PAGE_PARAMS:
            continue
        if name not in fields:
            notices.append(f"{reprlib.repr(name)} is not a knob of this lab")
            continue
        try:
            value = validate_value(fields[name], coerce_value(fields[name], raw))
        except ConfigError as exc:
            notices.append(str(exc))
            continue
        st.session_state[widget_key(lab.id, name)] = value
    return notices


def write_link(lab, config) -> None:
    """Make the URL describe the page: the preset, knobs that differ from what it sets, the
    seed and present mode."""
    # Opening the link applies its preset first, then its knobs: so the knobs written are
    # those that differ from what the preset sets (defaults elsewhere). Compared with the
    # defaults alone, a knob moved back to its default after a preset had changed it was
    # left out, and the link reopened with the preset's value.
    preset = st.session_state.get(f"preset:{lab.id}")
    baseline = config_dict(lab.Config())
    if preset and lab.preset(preset) is not None:
        baseline.update(lab.preset(preset).overrides)
    params = {k: _text(v) for k, v in config_dict(config).items()
              if k != "seed" and v != baseline.get(k)}
    params["seed"] = str(st.session_state.get("seed", 0))
    if preset:
        params["preset"] = preset
    if st.session_state.get("present"):
        params["present"] = "1"
    # the page itself produced this URL: when a later rerun brings it back, it is not a link
    _first_sight(f"link:{lab.id}", params)
    _first_sight("link-global", params)
    # Sent every run, even when it equals the URL the run was asked with: that URL is the
    # address bar at the click, and a run that ended meanwhile may have put another one
    # there, which a run that sent nothing would leave standing. The browser adds no
    # history entry for a URL it already shows.
    st.query_params.from_dict(params)


def _first_sight(scope: str, params: dict) -> bool:
    """Remember `params` as seen in `scope`; True when they had not been seen before."""
    seen = st.session_state.setdefault(scope, set())
    if not isinstance(seen, set):  # a session from before links were remembered this way
        seen = st.session_state[scope] = set()
    signature = tuple(sorted(params.items()))
    if signature in seen:
        return False
    seen.add(signature)
    return True


def show_notices(notices: list[str]) -> None:
    if notices:
        # a notice quotes the link, which anyone can write: show it as literal text
        st.warning("Some settings in the link were ignored: "
                   + "; ".join(escape_markdown(n) for n in notices) + ".",
                   icon=":material/link_off:")


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)  # str(float) is the shortest text that reads back exactly
