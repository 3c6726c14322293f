"""Showing a figure: one call for every page, so present mode, figure export, small screens
and screen readers are served everywhere. The figure's own toolbar downloads it as PNG or SVG
(chosen in the sidebar); on a phone or tablet the page's style hides that toolbar (touch
screens show it always, over the figure's title)."""
from __future__ import annotations

import re

import streamlit as st

from ui.present import is_present, scale_for_present

_TAGS = re.compile(r"<[^>]+>")
# a number with what leads up to it ("KL = 12.2", "at step 625", "0.255")
_NUMBER = re.compile(r"\s*(?:[=≈<>]\s*)?[-+−]?\d[\d.,]*(?:e[-+−]?\d+)?%?")


def _filename(fig) -> str:
    title = fig.layout.title.text or "figure"
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "figure"


def _plain(text) -> str:
    return " ".join(_TAGS.sub(" ", str(text or "")).split())


def describe(fig, live: bool = False) -> str:
    """The one line a screen reader says for the figure: its title and what its axes show.
    For a live figure the numbers are left out: Streamlit draws a chart anew when its text
    alternative changes, and a live figure's numbers change on every redraw."""
    title = _plain(fig.layout.title.text) or "Figure"
    x, y = _plain(fig.layout.xaxis.title.text), _plain(fig.layout.yaxis.title.text)
    parts = [f"Chart: {title}"]
    if x and y:
        parts.append(f"{y} against {x}")
    text = ". ".join(parts) + "."
    if live:
        text = " ".join(_NUMBER.sub("", text).split())
    return text


def show_figure(fig, container=None, key: str | None = None, live: bool = False) -> None:
    target = container if container is not None else st
    scale_for_present(fig)
    fmt = st.session_state.get("figure_format") or "png"
    config = {"displaylogo": False,
              "toImageButtonOptions": {"format": fmt, "filename": _filename(fig), "scale": 2}}
    target.plotly_chart(fig, width="stretch", key=key, config=config,
                        alt=describe(fig, live=live))


def how_to_read(text: str, container=None) -> None:
    """The note under a figure: what the axes mean and what to look for. In present mode too:
    a student at the back reads it while the lecturer speaks."""
    target = container if container is not None else st
    target.caption(f"How to read this: {text}")
