"""The frame every lab page shares, laid out so the experiment fits one screen.

The sidebar holds the controls, as a playground keeps its handful of knobs beside the
picture: the story's presets, Train and Stop, the lab's primary knobs, and the rest folded
under "More settings". The main area holds the question, then the run (progress, live loss,
the lab's headline figure), then the secondary figures in tabs. So after Train everything
that moves is in the first screen, at 1440×900 and on a 1280×720 projector.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

import streamlit as st

from core.contract import ConfigError
from ui.figures import how_to_read  # noqa: F401  (pages import it from here)
from ui.links import apply_lab_link, show_notices, write_link
from ui.present import apply_page_style, is_present
from ui.presets import apply_preset, preset_fields, preset_picker
from ui.widgets import config_widgets, knob_store, widget_key


@dataclass
class Frame:
    """What the frame drew: the Config the knobs describe (the last one that made sense
    while they contradict each other, with `problem` saying why Train is off) and the
    sidebar slot where the run panel puts Train and Stop."""
    lab: Any
    config: Any
    problem: str | None
    buttons: Any
    phone_buttons: Any = None  # the same two in the main area, shown on small screens


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


def lab_frame(lab) -> Frame:
    """Title and question in the main area; presets, Train/Stop and knobs in the sidebar.
    The URL is kept in step so a copied link reproduces the page."""
    use_router()
    apply_page_style()
    st.title(lab.title)
    st.markdown(f"**The question:** {lab.question}")
    # on a phone the sidebar is folded away: Train and Stop again, here (ui/present.py
    # shows this container only on small screens)
    phone_buttons = st.container(key="phone-run-buttons")
    store = knob_store(lab)
    with st.sidebar:
        notices = apply_lab_link(lab, widget_key, preset_overrides=lambda name: apply_preset(
            lab, name, widget_key, store))
        show_notices(notices)
        preset = preset_picker(lab, widget_key, store)
        buttons = st.container()
        present = is_present()
        only = preset_fields(lab, preset) if present else None
        if present and not only:
            st.caption("Present mode shows only the knobs a preset names; pick a preset, or "
                       "switch present mode off below to see them all.")
        problem = None
        try:
            config = config_widgets(lab, fixed={"seed": current_seed()}, only=only)
            st.session_state[f"valid-config:{lab.id}"] = config
        except ConfigError as exc:
            problem = str(exc)
            st.error(f"These settings cannot train: {problem}. Change one of them.",
                     icon=":material/error:")
            config = st.session_state.get(f"valid-config:{lab.id}") or lab.make_config(
                {"seed": current_seed()})
    if preset is not None:
        st.info(f"**{preset.name}** — {preset.note}", icon=":material/school:")
    elif not is_present():
        st.caption(f"What you will see: {lab.what_you_see}")
    if problem is None:
        write_link(lab, config)
    return Frame(lab=lab, config=config, problem=problem, buttons=buttons,
                 phone_buttons=phone_buttons)


def sections(frame: Frame, result, tabs: dict[str, Callable[[Any], None] | None],
             theory_markdown: str,
             study_views: dict[str, Callable[[Any], None]] | None = None) -> None:
    """The secondary figures, one tab each, drawn only when their tab is open, so the page
    stays short and a rerun computes just what someone is looking at. `tabs` maps a title
    to `draw`, called as `draw(result)` (None leaves the tab out; without a result they all
    wait for Train). The lab's studies (drawn by `study_views[name](study_result)`), a sweep over
    any knob, the theory, export and A/B follow as tabs of their own."""
    lab = frame.lab
    drawers: dict[str, Callable[[], None]] = {}
    if result is not None:
        drawers.update({name: functools.partial(draw, result)
                        for name, draw in tabs.items() if draw is not None})
    for study in lab.studies:
        drawers[study.label] = functools.partial(_study_tab, frame, study.name,
                                                 (study_views or {}).get(study.name))
    drawers["Sweep"] = functools.partial(_sweep_tab, frame, result)
    drawers["Theory"] = lambda: st.markdown(theory_markdown)
    if result is not None:
        # imported here: the home page uses this module and must not wait for torch
        from ui.compare import ab_section
        from ui.export import export_panel
        drawers["Export"] = lambda: export_panel(lab, frame.config, result, lab.id)
        previous = st.session_state.get(f"previous:{lab.id}")
        if previous is not None and previous.lab == result.lab:
            drawers["A/B"] = lambda: ab_section(previous, result, lab.id)
    names = list(drawers)
    for name, tab in zip(names, st.tabs(names, key=f"tabs:{lab.id}", on_change="rerun")):
        if tab.open is False:
            continue
        with tab:
            drawers[name]()


def _sweep_tab(frame: Frame, result) -> None:
    from ui.sweep_panel import sweep_tab  # Ray and the sweep engine load only when opened
    sweep_tab(frame.lab, frame, result)


def _study_tab(frame: Frame, name: str, view) -> None:
    from ui.run_panel import study_panel  # the panel imports this module's Frame users
    study_result = study_panel(frame.lab, frame, name)
    if study_result is not None and view is not None:
        view(study_result)
