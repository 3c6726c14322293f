"""The Applications page trains each section from its Train button and draws every tab."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import shown_text, wait_for_result
from core.labs import get_lab

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "applications.py")
LAB = get_lab("applications")
TABS = {"dna": ("Logos", "Saliency", "Models compared"),
        "multitask": ("Gradient cosine", "Loss weights", "Models compared"),
        "events": ("Precision-recall", "Gradient through time"),
        "anomaly": ("ROC", "By anomaly kind")}


@pytest.mark.parametrize("section", list(TABS))
def test_each_section_trains_and_draws_its_tabs(section):
    at = AppTest.from_file(PAGE, default_timeout=120)
    for name, value in {**LAB.smoke, "section": section}.items():
        at.session_state[f"applications.{name}"] = value
    at.run()
    assert not at.exception, at.exception
    assert any(section in i.value or "Train" in i.value for i in at.info)  # the idle note
    at.button(key="train:applications").click()
    result = wait_for_result(at, "applications")
    assert result.config["section"] == section
    at.run()
    assert not at.exception, at.exception
    assert len(at.metric) >= 4
    at.session_state["tabs:applications"] = "Theory"
    at.run()
    assert any("Where the theory comes from" in m.value for m in at.markdown)
    headline_only = len(at.get("plotly_chart"))
    for tab in TABS[section]:
        at.session_state["tabs:applications"] = tab
        at.run()
        assert not at.exception, (tab, at.exception)
        assert len(at.get("plotly_chart")) > headline_only, tab
    at.session_state["tabs:applications"] = "Export"
    at.run()
    assert not at.exception, at.exception


def test_densities_have_no_precision_recall_tab_and_a_bad_combination_is_refused():
    at = AppTest.from_file(PAGE, default_timeout=120)
    for name, value in {**LAB.smoke, "section": "events", "event_compare": "densities",
                        "label_every": 10, "stream_len": 40}.items():
        at.session_state[f"applications.{name}"] = value
    at.run()
    at.button(key="train:applications").click()
    wait_for_result(at, "applications")
    at.run()
    at.session_state["tabs:applications"] = "Theory"
    at.run()
    headline_only = len(at.get("plotly_chart"))
    at.session_state["tabs:applications"] = "Gradient through time"
    at.run()
    assert not at.exception and len(at.get("plotly_chart")) > headline_only
    labels = [t.label for t in at.tabs]
    assert "Gradient through time" in labels and "Precision-recall" not in labels
    at.session_state["applications.label_every"] = 60  # not below the stream length 40
    at.run()
    assert not at.exception
    assert any("label_every" in e.value for e in at.error)
    assert at.button(key="train:applications").disabled


def test_a_typed_sequence_is_read_and_a_bad_one_named_without_losing_the_run():
    at = AppTest.from_file(PAGE, default_timeout=120)
    for name, value in LAB.smoke.items():
        at.session_state[f"applications.{name}"] = value
    at.run()
    at.button(key="train:applications").click()
    result = wait_for_result(at, "applications")
    at.session_state["tabs:applications"] = "Saliency"
    at.run()
    charts = len(at.get("plotly_chart"))
    box = at.text_area(key="applications-typed-dna")
    assert box.value == result.arrays["saliency"]["bases"]
    box.set_value("acgt" * 15).run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == charts + 1
    at.text_area(key="applications-typed-dna").set_value("ACGTXACGT").run()
    assert not at.exception
    assert any("base 5 is 'X'" in shown_text(e.value) for e in at.error)
    assert at.session_state["result:applications"] is result
