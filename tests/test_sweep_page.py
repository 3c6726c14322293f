"""The Sweep tab under AppTest: a small grid trains as one run and draws its curve, a bad
value or an oversized grid is refused naming why, a preset that is a sweep fills the form,
and Stop keeps the points that finished. Points run in this process here (the Ray engine has
its own tests against a real cluster)."""
import reprlib
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import shown_text
from ui.escape import escape_markdown

ROOT = Path(__file__).resolve().parents[1]
TINY = {"steps": "10", "seq_len": "12", "lag": "12", "hidden": "8", "eval_every": "5",
        "compare_cells": "false"}


@pytest.fixture(autouse=True)
def local_engine(monkeypatch):
    monkeypatch.setenv("RNNLAB_SWEEP_ENGINE", "local")


def sweep_tab(params=TINY) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "gradients.py"), default_timeout=120)
    at.query_params.update(params)
    at.run()
    at.session_state["tabs:gradients"] = "Sweep"
    at.run()
    assert not at.exception, at.exception
    return at


def wait_for_sweep(at, timeout_s=240):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if "result:gradients-sweep" in at.session_state:
            return at.session_state["result:gradients-sweep"]
        time.sleep(0.3)
    pytest.fail("the sweep did not finish")


def test_a_small_sweep_trains_and_shows_its_curve_table_and_command():
    at = sweep_tab()
    at.text_input(key="sweep-values1:gradients").set_value("rnn,lstm")
    at.slider(key="sweep-seeds:gradients").set_value(2)
    at.run()
    at.button(key="train:gradients-sweep").click().run()
    result = wait_for_sweep(at)
    assert result.status == "completed" and result.metrics["points_done"] == 4
    rows = result.metrics["rows"]
    assert [r["cell"] for r in rows] == ["rnn", "lstm"] and all(r["n"] == 2 for r in rows)
    at.run()
    assert any("Sweep completed: 4 of 4 points" in s.value for s in at.success)
    assert at.get("plotly_chart")  # the curve
    command = at.code[0].value
    assert command.startswith("python3 -m core sweep gradients --vary cell=rnn,lstm --seeds 2")
    assert "--set hidden=8" in command and "--set seed=0" in command


def test_a_bad_value_is_refused_naming_it_and_nothing_runs():
    at = sweep_tab()
    at.selectbox(key="sweep-knob1:gradients").set_value("hidden")
    at.run()
    at.text_input(key="sweep-values1:gradients").set_value("8,10")
    at.run()
    assert any("hidden: 10 is not a multiple of 4" in shown_text(e.value) for e in at.error)
    assert at.button(key="train:gradients-sweep").disabled


def test_a_grid_larger_than_the_server_allows_is_refused(monkeypatch):
    monkeypatch.setenv("RNNLAB_MAX_SWEEP_POINTS", "5")
    at = sweep_tab()
    at.text_input(key="sweep-values1:gradients").set_value("rnn,lstm,gru")
    at.run()
    assert any("9 points; this server runs at most 5" in shown_text(e.value) for e in at.error)
    assert at.button(key="train:gradients-sweep").disabled


def test_a_preset_that_is_a_sweep_fills_the_form_and_opens_the_tab():
    at = AppTest.from_file(str(ROOT / "pages" / "gradients.py"), default_timeout=120)
    at.run()
    at.button_group(key="preset-pick:gradients").set_value("accuracy vs T")
    at.run()
    assert at.session_state["tabs:gradients"] == "Sweep"
    assert at.selectbox(key="sweep-knob1:gradients").value == "seq_len"
    assert at.text_input(key="sweep-values1:gradients").value == "20,40,80,160"
    assert at.selectbox(key="sweep-knob2:gradients").value == "cell"
    assert any("36 points" in c.value for c in at.caption)


def test_stop_keeps_the_points_that_finished():
    at = sweep_tab({**TINY, "steps": "300"})
    at.text_input(key="sweep-values1:gradients").set_value("rnn,lstm,gru")
    at.run()
    at.button(key="train:gradients-sweep").click().run()
    run = at.session_state["run:gradients-sweep"]
    deadline = time.monotonic() + 240
    while run.snapshot().step < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    at.button(key="stop:gradients-sweep").click().run()
    result = wait_for_sweep(at)
    assert result.status == "stopped"
    assert 1 <= result.metrics["points_done"] < result.metrics["points_total"]
    assert sum(r["n"] for r in result.metrics["rows"]) == result.metrics["points_done"]


@pytest.mark.parametrize("typed", ["![](http://127.0.0.1:9/a)", "[click me](http://x.org)",
                                   ":red[**LOUD**]", "$\\frac{a}{b}$"])
def test_typed_values_are_shown_literally_and_no_flag_is_named(typed):
    """A sweep error quotes what was typed: as typed, never as Markdown, and it speaks of the
    form's fields, not of the command line's flags."""
    at = sweep_tab()
    at.selectbox(key="sweep-knob1:gradients").set_value("hidden")
    at.run()
    at.text_input(key="sweep-values1:gradients").set_value(typed)
    at.run()
    assert at.error, "no error for a value that is not a number"
    for error in at.error:
        assert escape_markdown(reprlib.repr(typed)) in error.value  # every mark escaped
        assert "--" not in shown_text(error.value)
    assert at.button(key="train:gradients-sweep").disabled


def test_flags_become_page_words():
    from ui.sweep_panel import page_words
    assert page_words("--vary: seeds are not a knob to vary; use --seeds N") == (
        "seeds are not a knob to vary; set Seeds per point instead")
    assert "--" not in page_words("--vary expects knob=v1,v2,..., got 'x'")


def test_a_sweep_over_an_uploaded_series_runs_every_point_on_it():
    """The page's run is bound to the uploaded column; each point trains on it too (without
    it every point failed: "system csv needs a series")."""
    import numpy as np

    from core.labs import get_lab
    from core.sweep import SweepSpec, plan_sweep
    from core.sweep.job import sweep_job
    lab = get_lab("forecast")
    series = np.sin(np.arange(240) / 7.0) + 0.01 * np.arange(240)
    plan = plan_sweep(lab, SweepSpec(vary={"hidden": ("8", "12")}, seeds=1,
                                     metric="final_error_iterative",
                                     overrides={k: v for k, v in {**lab.smoke, "system": "csv"}.items()
                                                if k != "hidden"}))
    result = sweep_job(plan, engine="local", data={"series": series})(None, lambda: False)
    assert result.metrics["points_done"] == 2 and result.metrics["points_failed"] == 0
    assert all(r["mean"] is not None for r in result.metrics["rows"])


def test_the_finished_table_uses_labels_and_never_reads_none():
    at = sweep_tab()
    at.text_input(key="sweep-values1:gradients").set_value("rnn,lstm")
    at.slider(key="sweep-seeds:gradients").set_value(1)
    at.run()
    at.button(key="train:gradients-sweep").click().run()
    wait_for_sweep(at)
    at.run()
    table = at.dataframe[0].value
    assert "Cell" in table.columns and "cell" not in table.columns
    assert "None" not in table.to_string()
    assert (table["spread"] == "—").all()  # one seed has no spread
