"""Present mode, for the projector: large type and figures, only the controls the preset
names, explanations folded away. Switched in the sidebar or with ?present=1."""
from __future__ import annotations

import streamlit as st

PRESENT_CSS = """
<style>
html { font-size: 20px; }
.stMainBlockContainer { max-width: 100%; padding-left: 2rem; padding-right: 2rem; }
.stMarkdown p, .stMarkdown li { font-size: 1.2rem; }
h1 { font-size: 3rem !important; }
</style>
"""


def is_present() -> bool:
    return bool(st.session_state.get("present", False))


def apply_present_style() -> None:
    if is_present():
        st.html(PRESENT_CSS)


def scale_for_present(fig):
    """Taller figures with larger type when projecting."""
    if is_present():
        height = fig.layout.height or 450
        fig.update_layout(height=int(height * 1.4), font=dict(size=18))
    return fig
