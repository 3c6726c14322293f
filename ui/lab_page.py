"""The frame every lab page shares: header, presets, controls, link, theory."""
from __future__ import annotations

import streamlit as st

from ui.figures import how_to_read  # noqa: F401  (pages import it from here)
from ui.links import apply_lab_link, show_notices, write_link
from ui.present import apply_present_style, is_present
from ui.presets import apply_preset, preset_fields, preset_picker
from ui.widgets import config_widgets, knob_store, widget_key


def current_seed() -> int:
    return int(st.session_state.get("seed", 0))


def use_router() -> None:
    """Hand a session that opened a deep link first to the router in app.py.

    With a pages/ directory beside app.py, a server whose first session opens
    /<page> runs that page file directly in Streamlit's older multipage mode, without the
    router and its sidebar, until some session calls st.navigation. Clearing that mode and
    rerunning lets app.py route the same URL.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without this internal: nothing to correct
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def lab_header(lab) -> None:
    use_router()
    apply_present_style()
    st.title(lab.title)
    st.markdown(f"**The question:** {lab.question}")
    if not is_present():
        st.caption(f"What you will see: {lab.what_you_see}")


def lab_controls(lab):
    """Presets, then the lab's knobs (the seed comes from the sidebar so every lab shares
    one); the URL is kept in step so a copied link reproduces the page."""
    store = knob_store(lab)
    notices = apply_lab_link(lab, widget_key, preset_overrides=lambda name: apply_preset(
        lab, name, widget_key, store))
    show_notices(notices)
    preset = preset_picker(lab, widget_key, store)
    present = is_present()
    only = preset_fields(lab, preset) if present else None
    if present and not only:
        st.caption("Present mode shows only the knobs a preset names; pick a preset, or "
                   "switch present mode off in the sidebar to see them all.")
    with st.expander("Settings", expanded=not present or bool(only)):
        config = config_widgets(lab, fixed={"seed": current_seed()}, only=only)
    write_link(lab, config)
    return config


def theory(markdown: str, title: str = "The theory behind this page") -> None:
    with st.expander(title, expanded=False):
        st.markdown(markdown)
