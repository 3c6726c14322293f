"""The attention page after a tiny run: every tab draws, the typed input decodes through the
lab's probe, and the numbers under the figures come from the Result."""
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import shown_text, wait_for_result
from test_pages import set_knob
from core.labs import get_lab

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "attention.py")
LAB = get_lab("attention")
TABS = ("Over training", "Accuracy by length", "Alignment entropy", "Capacity", "Your input",
        "Sweep", "Theory", "Export")


@pytest.fixture(scope="module")
def trained():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert any("Press **Train**" in i.value for i in at.info)
    for name, value in LAB.smoke.items():
        set_knob(at, f"attention.{name}", value)
        at.run()
    at.button(key="train:attention").click()
    result = wait_for_result(at, "attention")
    at.run()
    assert not at.exception, at.exception
    return at, result


def _captions(at) -> str:
    return " ".join(c.value for c in at.caption)


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_draws(trained, tab):
    at, result = trained
    at.session_state["tabs:attention"] = tab
    at.run()
    assert not at.exception, (tab, at.exception)
    if tab in ("Over training", "Accuracy by length", "Alignment entropy", "Your input"):
        assert at.get("plotly_chart"), tab
    if tab == "Accuracy by length":
        assert f"greedy decoding of {result.metrics['test_per_length']} fresh" in _captions(at)


def test_typed_input_decodes_and_bad_input_is_named(trained):
    at, result = trained
    at.session_state["tabs:attention"] = "Your input"
    at.run()
    at.text_input(key="attention-typed").set_value("abc").run()
    assert not at.exception and not at.error
    assert any("Input **a b c**" in m.value for m in at.markdown)
    at.text_input(key="attention-typed").set_value("abq").run()
    assert any("'q' at position 3" in shown_text(e.value) for e in at.error)
    assert at.session_state["result:attention"] is result


def test_scrubbing_to_an_earlier_measurement(trained):
    at, result = trained
    at.session_state["tabs:attention"] = "Over training"
    at.run()
    first = result.arrays["checkpoints"]["steps"][0]
    at.select_slider(key="attention-scrub").set_value(first).run()
    assert not at.exception
    titles = [json.loads(chart.proto.spec)["layout"].get("title", {}).get("text", "")
              for chart in at.get("plotly_chart")]
    assert f"Attention on the probe at step {first}" in titles, titles


@pytest.mark.parametrize("study", [s.name for s in LAB.studies])
def test_each_study_runs_from_its_tab_and_draws(trained, study):
    at, _ = trained
    label = LAB.study(study).label
    at.session_state["tabs:attention"] = label
    at.run()
    at.button(key=f"train:attention-{study}").click()
    done = wait_for_result(at, f"attention-{study}")
    at.run()
    assert not at.exception, at.exception
    assert done.status == "completed"
    if study == "capacity":
        assert at.get("plotly_chart")
    else:
        text = _captions(at)
        assert (f"measured on {done.metrics['study_inputs']} inputs × "
                f"{done.metrics['samples_per_input']} decodings" in text), text


def test_a_precomputed_result_without_its_model_draws_every_tab(tmp_path, monkeypatch):
    """A stored run has its arrays but no trained model: the tabs that read arrays draw,
    and the one that needs the model says so instead of failing."""
    from core.precompute import store
    monkeypatch.setenv("RNNLAB_CACHE", str(tmp_path))
    config = LAB.make_config(LAB.smoke)
    store(LAB.run(config), "attention", config)
    at = AppTest.from_file(PAGE, default_timeout=120)
    for name, value in LAB.smoke.items():
        at.query_params[name] = str(value)
    at.run()
    assert any("precomputed" in i.value for i in at.info)
    for tab in TABS:
        at.session_state["tabs:attention"] = tab
        at.run()
        assert not at.exception, (tab, at.exception)
    at.session_state["tabs:attention"] = "Your input"
    at.run()
    assert any("needs the trained model" in i.value for i in at.info)
