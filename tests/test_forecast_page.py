"""The forecast page under AppTest: it trains, every tab draws, the L sweep runs from its tab,
and the csv system waits for an upload instead of training on nothing."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import wait_for_result
from test_pages import set_knob
from core.labs import get_lab

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "forecast.py")
LAB = get_lab("forecast")
SMALL = {**LAB.smoke, "steps": 10, "horizon": 8, "context": 4, "batch": 16}


def _open(knobs: dict) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    for name, value in knobs.items():
        set_knob(at, f"forecast.{name}", value)
        at.run()
    assert not at.exception, at.exception
    return at


def _tab(at: AppTest, title: str) -> None:
    at.session_state["tabs:forecast"] = title
    at.run()
    assert not at.exception, (title, at.exception)


@pytest.fixture(scope="module")
def trained():
    at = _open(SMALL)
    at.button(key="train:forecast").click()
    result = wait_for_result(at, "forecast")
    at.run()
    assert not at.exception, at.exception
    return at, result


def test_numbers_come_from_the_result(trained):
    at, result = trained
    labels = [m.label for m in at.metric]
    assert "Fitted growth rate" in labels and "Steps trained (each model)" in labels
    notes = " ".join(c.value for c in at.caption)
    assert f"over {result.metrics['test_windows']} held-out windows" in notes
    assert "How to read this" in notes


@pytest.mark.parametrize("title", ["Growth rate", "Example forecasts", "Theory"])
def test_every_tab_draws(trained, title):
    at, _ = trained
    _tab(at, title)
    if title == "Theory":
        assert any("Where the theory comes from" in m.value for m in at.markdown)
    else:
        assert len(at.get("plotly_chart")) == 2  # the headline, and this tab's figure
        assert sum("How to read this" in c.value for c in at.caption) == 2


def test_the_lipschitz_sweep_runs_from_its_tab():
    at = _open({**SMALL, "steps": 5})
    _tab(at, "Sweep L")
    at.button(key="train:forecast-sweep_l").click()
    result = wait_for_result(at, "forecast-sweep_l")
    at.run()
    assert not at.exception, at.exception
    assert result.metrics["sweep_lipschitz"] == [0.8, 0.9, 1.0, 1.1, 1.2]
    notes = " ".join(c.value for c in at.caption)
    assert f"{result.metrics['sweep_regimes_as_predicted']} of 5 runs" in notes


def test_the_csv_system_waits_for_an_upload():
    at = _open({"system": "csv"})
    assert at.button(key="train:forecast").disabled
    assert any("Upload a CSV" in i.value for i in at.info)
    assert not at.error  # nothing is wrong yet: the file is simply not there
