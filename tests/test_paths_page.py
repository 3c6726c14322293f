"""The Recurrence vs Attention page under AppTest: it trains, every tab draws, both studies
run from their tabs, and a contradictory setting is refused before Train."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import wait_for_result
from core.labs import get_lab

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "paths.py")
LAB = get_lab("paths")


def _open(state: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def trained():
    at = _open({f"paths.{k}": v for k, v in LAB.smoke.items()})
    at.button(key="train:paths").click().run()
    wait_for_result(at, "paths")
    at.run()
    assert not at.exception, at.exception
    return at


def test_numbers_and_headline_after_training(trained):
    labels = [m.label for m in trained.metric]
    assert "self-attention: test accuracy" in labels and "tanh RNN: test accuracy" in labels
    assert len(trained.get("plotly_chart")) >= 1


@pytest.mark.parametrize("tab, charts", [("Accuracy by lag", 2), ("Attention map", 3),
                                         ("LSTM highway", 3), ("Theory", 1), ("Export", 1)])
def test_every_tab_draws(trained, tab, charts):
    trained.session_state["tabs:paths"] = tab
    trained.run()
    assert not trained.exception, trained.exception
    assert len(trained.get("plotly_chart")) >= charts
    if tab == "LSTM highway":  # the full gradient against the cell path, and the identity
        assert len(trained.dataframe) == 2
    if tab == "Export":  # the three trained models' weights can be downloaded
        assert len(trained.get("download_button")) == 3
    if tab == "Theory":
        assert any("Where the theory comes from" in m.value for m in trained.markdown)


def test_gates_study_runs_from_its_tab(trained):
    trained.session_state["tabs:paths"] = "Fix the gates"
    trained.run()
    trained.button(key="train:paths-gates").click().run()
    study = wait_for_result(trained, "paths-gates")
    trained.run()
    assert not trained.exception, trained.exception
    assert study.metrics["fixed_gate_max_difference"] < 1e-6
    assert any("largest difference" in c.value for c in trained.caption)


def test_cost_study_runs_from_its_tab(trained):
    trained.session_state["tabs:paths"] = "Measure cost against T"
    trained.selectbox(key="paths.cost_lengths").set_value("32,64,128,256,512")
    trained.run()
    trained.button(key="train:paths-cost").click().run()
    study = wait_for_result(trained, "paths-cost")
    trained.run()
    assert not trained.exception, trained.exception
    assert study.metrics["lengths"] == [32, 64, 128, 256, 512]
    assert any("at least ten times the shortest" in c.value for c in trained.caption)


def test_a_lag_as_long_as_the_sequence_is_refused_before_train():
    at = _open({"paths.lag": 40, "paths.seq_len": 40})
    assert any("lag (40) must be below" in e.value for e in at.error)
    assert at.button(key="train:paths").disabled
