"""The pointer page renders before and after a tiny run, and a bad typed input shows an error
without losing the trained model."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

from conftest import wait_for_result

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "pointer.py")


def _set(at, label, value):
    for widgets in (at.number_input, at.slider, at.selectbox, at.checkbox, at.toggle):
        for w in widgets:
            if w.label == label:
                w.set_value(value)
                return
    raise AssertionError(f"no widget labelled {label!r}")


def test_page_trains_probes_and_reports_typed_errors():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception
    _set(at, "Task", "select")
    at.run()
    for label, value in [("Training steps", 10), ("Hidden units", 8), ("Measure every", 5)]:
        _set(at, label, value)
    at.run()
    at.button(key="train:pointer").click().run()
    result = wait_for_result(at, "pointer")
    assert result.config["task"] == "select"
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 6  # includes the set-loss comparison
    at.text_input(key="pointer-typed").set_value("1, abc, 3").run()
    assert not at.exception
    assert any("entry 2" in e.value for e in at.error)
    at.text_input(key="pointer-typed").set_value("5 1 4 2 8 7").run()
    assert not at.exception and not at.error
    assert "result:pointer" in at.session_state  # the trained model was kept
