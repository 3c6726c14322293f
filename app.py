"""RNN Lab: the router. Page config, the sidebar every page shares, and navigation.

Only light modules are imported here: the lab cards come from the labs' source (no torch),
and torch, the labs and the device are brought up on a background thread.
"""
from pathlib import Path

import streamlit as st

from core import warmup
from core.labs.catalog import grouped_cards, lab_cards
from core.runs import SLOTS, max_concurrent_runs
from core.settings import ray_address, settings_problems
from ui.escape import escape_markdown
from ui.links import SEED_MAX, apply_global_link, show_notices

ROOT = Path(__file__).parent

# An emoji favicon is drawn in the page; a Material icon as favicon is fetched from a font
# server on the internet, which a classroom server may not reach.
st.set_page_config(page_title="RNN Lab", page_icon="🔁", layout="wide")
warmup.start()


def lab_pages() -> dict[str, list]:
    """The navigation: Home and the ungrouped labs first, then each group of labs (a
    LabSpec's `group`) under its name."""
    home = st.Page(str(ROOT / "pages" / "home.py"), title="Home", icon=":material/home:",
                   default=True)
    # old links to the one Applications lab, which is now four: sent on to the right one
    moved = st.Page(str(ROOT / "pages" / "applications.py"), title="Applications",
                    url_path="applications", visibility="hidden")
    sections: dict[str, list] = {"": [home, moved]}
    for group, cards in grouped_cards(lab_cards()).items():
        for card in cards:
            path = ROOT / "pages" / f"{card.id}.py"
            if path.exists():
                sections.setdefault(group, []).append(
                    st.Page(str(path), title=card.title, icon=card.icon, url_path=card.id))
    return sections


def session_settings(notices: list[str], page: str = "") -> None:
    """Below the page's own controls in the sidebar: what every page shares. `page` is the
    open page's id: its runs are kept watched by a heartbeat, whichever tab shows."""
    with st.sidebar:
        show_notices(notices)
        with st.expander("Seed, present mode, server", icon=":material/settings:",
                         expanded=bool(notices)):
            _session_widgets()
        device = warmup.device_label_if_ready()
        st.caption(f"Device: **{device}**" if device else "Device: detecting…")
        st.caption(f"Training now: {SLOTS.active} of {max_concurrent_runs()} slots "
                   f"({_slots_source()}), {SLOTS.waiting} waiting")
        _watchers(page)
        for problem in settings_problems():  # the server's own settings, not user text
            st.warning(escape_markdown(problem), icon=":material/warning:")
        if page:
            from ui.heartbeat import heartbeat
            heartbeat(page)


def _slots_source() -> str:
    """Which limit sets the slots: this server's setting, or the Ray cluster's CPUs."""
    if ray_address() is None:
        return "RNNLAB_MAX_RUNS on this server"
    from core import cluster
    state, _ = cluster.status()
    if state == "ready":
        return "one per CPU of the Ray cluster"
    return ("RNNLAB_MAX_RUNS on this server while the Ray cluster is joined" if state == "joining"
            else "RNNLAB_MAX_RUNS on this server: the Ray cluster did not answer")


def _watchers(page: str) -> None:
    run = st.session_state.get(f"run:{page}") if page else None
    if run is None or not hasattr(run, "watchers") or run.snapshot().finished:
        return
    others = run.watchers() - 1
    if others > 0:
        st.caption(f"This page's run is trained once for {others + 1} pages watching it "
                   f"(you and {others} other{'s' * (others != 1)}).")


def _session_widgets() -> None:
    st.number_input("Seed", min_value=0, max_value=SEED_MAX, step=1, key="seed",
                    help="One seed fixes the data and the initial weights of every lab, "
                         "so two runs that differ in one knob are a fair comparison.")
    st.toggle("Present mode", key="present",
              help="For the projector: large type and figures, only the knobs the "
                   "preset names, explanations folded. Also ?present=1 in a link.")
    st.segmented_control("Figure downloads", ["png", "svg"], key="figure_format",
                         help="Format of the camera button on every figure.")




st.session_state.setdefault("seed", 0)
st.session_state.setdefault("present", False)
st.session_state.setdefault("figure_format", "png")
# Navigation across the top: the sidebar is the lab's control column, and a link per lab
# would push Train below a projector's fold.
navigation = st.navigation(lab_pages(), position="top")
notices = apply_global_link()  # before the page: it reads the seed and present mode
navigation.run()
session_settings(notices, navigation.url_path)
