"""The Language page under AppTest: it trains, every tab draws, and own text waits for
usable text, naming what is wrong with a bad one."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import wait_for_result
from test_pages import set_knob
from core.labs import get_lab

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


@pytest.mark.parametrize("title", ["Samples", "Compare cells", "Entropy", "Theory"])
def test_every_tab_draws(trained, title):
    at, result = trained
    at.session_state["tabs:language"] = title
    at.run()
    assert not at.exception, (title, at.exception)
    if title == "Theory":
        assert any("Where the theory comes from" in m.value for m in at.markdown)
    elif title == "Samples":
        assert [c.value for c in at.code][:1] == [result.arrays["samples"]["model"]]
    else:
        assert len(at.get("plotly_chart")) == 2  # the headline, and this tab's figure


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
