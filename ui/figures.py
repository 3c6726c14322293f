"""Showing a figure: one call for every page, so present mode and figure export apply
everywhere. The figure's own toolbar downloads it as PNG or SVG (chosen in the sidebar)."""
from __future__ import annotations

import re

import streamlit as st

from ui.present import is_present, scale_for_present


def _filename(fig) -> str:
    title = fig.layout.title.text or "figure"
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "figure"


def show_figure(fig, container=None, key: str | None = None) -> None:
    target = container if container is not None else st
    scale_for_present(fig)
    fmt = st.session_state.get("figure_format") or "png"
    config = {"displaylogo": False,
              "toImageButtonOptions": {"format": fmt, "filename": _filename(fig), "scale": 2}}
    target.plotly_chart(fig, width="stretch", key=key, config=config)


def how_to_read(text: str, container=None) -> None:
    """The note under a figure: what the axes mean and what to look for. Folded away in
    present mode, where the lecturer says it."""
    target = container if container is not None else st
    if is_present():
        with target.expander("How to read this"):
            st.caption(text)
    else:
        target.caption(f"How to read this: {text}")
