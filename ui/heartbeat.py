"""The page's heartbeat: while a page is open, every run and sweep of its session stays
watched, whichever of its tabs is showing (a hidden tab's own live fragment does not poll,
and a run nobody watches for the abandon timeout stops itself)."""
from __future__ import annotations

import streamlit as st

from core import settings

HEARTBEAT_S = max(1.0, min(5.0, settings.abandon_seconds() / 4))


def page_runs(state, page: str) -> list:
    """The session's runs and sweeps of one page (keys "run:<page>" and "run:<page>-…")."""
    return [value for name, value in list(state.items())
            if isinstance(name, str) and (name == f"run:{page}" or name.startswith(f"run:{page}-"))
            and hasattr(value, "touch")]


def keep_watching(state, page: str) -> int:
    """Mark every run of the open page as watched, whichever of its tabs is showing (a hidden
    tab's own fragment does not poll). Returns how many it touched."""
    runs = page_runs(state, page)
    for run in runs:
        run.touch()
    return len(runs)


def heartbeat(page: str) -> None:
    """The page-level heartbeat: a fragment outside the tabs, on its own timer."""
    st.fragment(run_every=HEARTBEAT_S)(_heartbeat_fragment)(page)


def _heartbeat_fragment(page: str) -> None:
    keep_watching(st.session_state, page)
