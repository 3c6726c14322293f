"""The one Applications lab became four (DNA, Multi-task, Rare Events, Anomaly Detection): an
old /applications link still lands — on the lab its `section` or its preset names, else on
DNA (the old default section), with its knobs under their new names and the other sections'
left out — and a bare link on a page that lists the four. The four sit together under "Applications" on the home page and in the
navigation."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.labs.catalog import grouped_cards, lab_cards

ROOT = Path(__file__).resolve().parents[1]
FOUR = ["dna", "multitask", "events", "anomaly"]


def open_old_link(params: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page(str(ROOT / "pages" / "applications.py"))
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_section_link_lands_on_its_lab_with_the_knobs_renamed():
    at = open_old_link({"section": "events", "event_loss": "plain", "event_pct": "2.0",
                        "dna_length": "50"})
    assert at.title[0].value == "Rare Events"
    assert at.session_state["events.loss"] == "plain"
    assert at.session_state["events.event_pct"] == 2.0
    params = dict(at.query_params)
    assert "section" not in params and "dna_length" not in params
    assert params["loss"] == "plain"
    assert not at.error and not at.warning  # nothing of another section left to complain of


@pytest.mark.parametrize("section, title", [("dna", "CNN–RNN Hybrids on DNA"),
                                            ("multitask", "Multi-task Heads"),
                                            ("anomaly", "Anomaly Detection")])
def test_every_section_has_its_lab(section, title):
    at = open_old_link({"section": section})
    assert at.title[0].value == title


def test_a_preset_link_without_a_section_lands_on_the_presets_lab():
    at = open_old_link({"preset": "sloppy motifs"})
    assert at.title[0].value == "CNN–RNN Hybrids on DNA"
    assert at.session_state["dna.mismatch"] == 0.5


def test_knobs_without_a_section_meant_the_default_section_dna():
    at = open_old_link({"gap_min": "0", "gap_max": "2", "dna_length": "60"})
    assert at.title[0].value == "CNN–RNN Hybrids on DNA"
    assert at.session_state["dna.length"] == 60 and at.session_state["dna.gap_max"] == 2


def test_without_a_section_the_page_lists_the_four_labs():
    at = open_old_link({})
    assert at.title[0].value == "Applications"
    assert len(at.get("page_link")) == 4


def test_the_four_labs_are_grouped_under_applications_in_order():
    groups = grouped_cards(lab_cards())
    assert [c.id for c in groups["Applications"]] == FOUR
    assert list(groups)[0] == "" and all(not c.group for c in groups[""])
