"""The stack page under AppTest: after Train, every tab draws from the finished run, the
numbers shown are the run's own, and a stuck stack is called out."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import shown_text, wait_for_result
from core.labs import get_lab
from test_pages import set_knob

ROOT = Path(__file__).resolve().parents[1]
LAB = get_lab("stack")


@pytest.fixture(scope="module")
def trained():
    at = AppTest.from_file(str(ROOT / "pages" / "stack.py"), default_timeout=120)
    at.session_state["seed"] = 2
    at.run()
    for name, value in LAB.smoke.items():
        set_knob(at, f"stack.{name}", value)
    at.run()
    at.button(key="train:stack").click()
    result = wait_for_result(at, "stack")
    at.run()
    assert not at.exception, at.exception
    return at, result


def test_the_numbers_are_the_runs_own(trained):
    at, result = trained
    m = result.metrics
    shown = {metric.label: metric.value for metric in at.metric}
    assert shown["stack RNN: training lengths"] == f"{m['accuracy']:.3f}"
    assert shown["stack RNN: deeper than training"] == (
        "—" if m["accuracy_deeper"] is None else f"{m['accuracy_deeper']:.3f}")
    warned = any("got stuck" in shown_text(w.value) for w in at.warning)
    assert warned == bool(m["stack_stuck"])


@pytest.mark.parametrize("tab", ["Accuracy by length", "Models compared", "Inside the stack",
                                 "Theory"])
def test_every_tab_draws(trained, tab):
    at, result = trained
    at.session_state["tabs:stack"] = tab
    at.run()
    assert not at.exception, at.exception
    if tab == "Theory":
        assert any("Where the theory comes from" in m.value for m in at.markdown)
        return
    assert len(at.get("plotly_chart")) >= 2  # the headline and this tab's figures
    captions = " ".join(c.value for c in at.caption)
    if tab == "Accuracy by length":
        assert f"{result.metrics['deeper_strings']} of the " in captions


def test_a_typed_string_is_traced(trained):
    at, _ = trained
    at.session_state["tabs:stack"] = "Inside the stack"
    at.run()
    [choice] = [s for s in at.selectbox if s.label == "String to trace"]
    choice.set_value("type my own").run()
    [field] = [w for w in at.text_input if w.label == "Your string"]
    field.set_value("[ ( ) ]").run()
    assert not at.exception and not at.error
    assert any("`[()]` — the exact stack says **balanced**" in m.value for m in at.markdown)
