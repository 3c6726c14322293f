"""The frame every lab page shares: header, controls, theory."""
from __future__ import annotations

import streamlit as st

from ui.widgets import config_widgets


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
    st.title(lab.title)
    st.markdown(f"**The question:** {lab.question}")
    st.caption(f"What you will see: {lab.what_you_see}")


def lab_controls(lab):
    """The lab's knobs; the seed comes from the sidebar so every lab shares one."""
    with st.expander("Settings", expanded=True):
        return config_widgets(lab, fixed={"seed": current_seed()})


def theory(markdown: str, title: str = "The theory behind this page") -> None:
    with st.expander(title, expanded=False):
        st.markdown(markdown)


def how_to_read(text: str) -> None:
    st.caption(f"How to read this: {text}")
