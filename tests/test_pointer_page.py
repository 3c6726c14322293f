"""The pointer page renders before and after a tiny run, draws its tabs, and a bad typed
input shows an error without losing the trained model."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

from conftest import wait_for_result
from test_pages import set_knob

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "pointer.py")


def _open_tab(at: AppTest, title: str) -> None:
    at.session_state["tabs:pointer"] = title
    at.run()
    assert not at.exception, (title, at.exception)


def test_page_trains_probes_and_reports_typed_errors():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception
    assert any("Press **Train**" in i.value for i in at.info)
    # nothing measured yet: only the empty figures that hold the live view's place
    assert all(chart.key.endswith(":idle") for chart in at.get("plotly_chart"))
    set_knob(at, "pointer.task", "select")
    at.run()
    for name, value in [("steps", 10), ("hidden", 8), ("eval_every", 5),
                        ("compare_decoders", False)]:
        set_knob(at, f"pointer.{name}", value)
    at.run()
    at.button(key="train:pointer").click().run()
    result = wait_for_result(at, "pointer")
    assert result.config["task"] == "select"
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 2  # the headline and the open tab's figure
    assert [m.label for m in at.metric][:2] == ["Exact match, n = 5–10",
                                                "Exact match, n = 11–15"]
    for title in ("Set losses", "Uniform decoder", "Valid outputs", "Over training"):
        _open_tab(at, title)
        assert len(at.get("plotly_chart")) >= 2, title
    _open_tab(at, "Where it points")
    assert len(at.get("plotly_chart")) >= 3  # the headline, the heatmap and the arrows
    _open_tab(at, "Your numbers")
    at.text_input(key="pointer-typed").set_value("1, abc, 3").run()
    assert not at.exception
    assert any("entry 2" in e.value for e in at.error)
    at.text_input(key="pointer-typed").set_value("5 1 4 2 8 7").run()
    assert not at.exception and not at.error
    assert at.session_state["result:pointer"] is result  # the trained model was kept
    _open_tab(at, "Theory")
    assert any("Where the theory comes from" in m.value for m in at.markdown)
