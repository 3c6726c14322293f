"""The Language page under AppTest: it trains, every tab draws, and own text waits for
usable text, naming what is wrong with a bad one."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import wait_for_result
from test_pages import set_knob
from core.labs import get_lab
from core.labs.language import probes

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "language.py")
LAB = get_lab("language")


def _open(knobs: dict) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    for name, value in knobs.items():
        set_knob(at, f"language.{name}", value)
        at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def trained():
    at = _open(LAB.smoke)
    at.button(key="train:language").click()
    result = wait_for_result(at, "language")
    at.run()
    assert not at.exception, at.exception
    return at, result


def test_numbers_come_from_the_result(trained):
    at, result = trained
    values = {m.label: m.value for m in at.metric}
    assert values["Held-out bits per char"] == f"{result.metrics['held_out_bits']:.3f}"
    assert values["3-gram (exact counts)"] == f"{result.metrics['ngram_bits']['3']:.3f}"
    notes = " ".join(c.value for c in at.caption)
    assert f"{result.metrics['scored_chars']:,} held-out characters" in notes


FIGURES = {"Compare cells": 1, "Entropy": 1, "Cells": 1, "Gates": 1, "Errors": 2}


@pytest.mark.parametrize("title", ["Samples", "Cells", "Gates", "Errors", "Compare cells",
                                   "Entropy", "Theory"])
def test_every_tab_draws(trained, title):
    at, result = trained
    at.session_state["tabs:language"] = title
    at.run()
    assert not at.exception, (title, at.exception)
    if title == "Theory":
        assert any("Where the theory comes from" in m.value for m in at.markdown)
    elif title == "Samples":
        assert [c.value for c in at.code][:1] == [result.arrays["samples"]["model"]]
    else:  # the headline, and this tab's figures
        assert len(at.get("plotly_chart")) == 1 + FIGURES[title]


def test_cells_tab_ranks_cells_and_matches_a_span(trained):
    at, result = trained
    at.session_state["tabs:language"] = "Cells"
    at.session_state["language-hypothesis"] = "position in line"
    at.run()
    assert not at.exception, at.exception
    rows = result.arrays["inspection"]["ranked"]["position in line"]["rows"]
    table = at.dataframe[0].value
    assert list(table["cell"]) == [row["cell"] for row in rows]
    for threshold in (0.0, 0.5):
        at.session_state["language-threshold"] = threshold
        at.run()
        assert not at.exception, at.exception
        view = result.artifacts["cell_views"][result.config["cell"]]
        expected = probes.match_span(view, 0, 20, threshold)
        captions = [c.value for c in at.caption]
        if expected.cells:
            assert any(c.startswith(f"{len(expected.cells)} cells: ") for c in captions)
        else:
            assert any("no cell is on" in c for c in captions)


def test_own_text_waits_for_text_then_refuses_a_bad_one():
    at = _open({"corpus": "own"})
    assert at.button(key="train:language").disabled
    assert any("Paste text" in i.value for i in at.info)
    at.text_area(key="language-own-text").input("too short")
    at.run()
    assert at.button(key="train:language").disabled
    assert any("at least 500 are needed" in e.value for e in at.error)
    at.text_area(key="language-own-text").input("Call me Ishmael. Some years ago. " * 20)
    at.run()
    assert not at.exception, at.exception
    assert not at.button(key="train:language").disabled
    assert not at.error
