"""Applications: the old one-page lab, now four labs. An old link is sent on to the lab its
`section` (or its preset) names, or to DNA, the old default, its knobs renamed as they are
now; a bare link gets a page that lists the four."""
import dataclasses

import streamlit as st

from core.labs import get_lab
from core.labs.catalog import lab_cards
from ui.lab_page import use_router

SECTIONS = ("dna", "multitask", "events", "anomaly")  # the old `section` values: the labs' ids
# the old section's presets, by name, so a link that named only a preset still lands right
PRESETS = {"hybrid reads the grammar": "dna", "motifs side by side": "dna",
           "sloppy motifs": "dna", "related tasks share": "multitask",
           "unrelated tasks compete": "multitask", "learned loss weights": "multitask",
           "rare events": "events", "supervision density": "events",
           "anomalies by reconstruction": "anomaly"}
# knobs whose names lost the section's prefix, per lab
RENAMED = {"dna": {"dna_length": "length", "dna_matched": "matched"},
           "multitask": {"mt_length": "length"},
           "events": {"event_compare": "compare", "event_loss": "loss"},
           "anomaly": {"ae_form": "form"}}
SHARED = ("seed", "present", "preset")  # the parameters every page reads


def target(params: dict) -> str | None:
    """The lab an old link meant: its section, else the section of its preset, else DNA (the
    old default section) when it set any knob; None for a bare link."""
    section = params.get("section", "")
    found = section if section in SECTIONS else PRESETS.get(params.get("preset", ""))
    if found is None and set(params) - set(SHARED):
        return "dna"
    return found


def moved_params(params: dict, lab_id: str, knob_names: set[str]) -> dict:
    """The link's parameters as the new lab reads them: renamed knobs under their new names;
    knobs of the other three sections, and the section itself, left out."""
    renamed = RENAMED.get(lab_id, {})
    moved = {}
    for name, value in params.items():
        name = renamed.get(name, name)
        if name in SHARED or name in knob_names:
            moved[name] = value
    return moved


def page() -> None:
    use_router()
    params = st.query_params.to_dict()
    lab_id = target(params)
    if lab_id is not None:
        knob_names = {f.name for f in dataclasses.fields(get_lab(lab_id).Config)}
        st.switch_page(f"pages/{lab_id}.py",
                       query_params=moved_params(params, lab_id, knob_names))
    st.title("Applications")
    st.markdown("Recurrent networks at work, one lab per story:")
    for card in lab_cards():
        if card.group == "Applications":
            st.page_link(f"pages/{card.id}.py", label=card.title, icon=card.icon)
            st.caption(card.question)


page()
