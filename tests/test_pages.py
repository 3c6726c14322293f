"""Every page opens under AppTest, and every lab page trains from its Train button and says,
under its figures, what each model trained with."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import wait_for_result
from core.labs import all_labs
from core.verdict import model_name

ROOT = Path(__file__).resolve().parents[1]
LAB_PAGES = [lab for lab in all_labs().values() if (ROOT / "pages" / f"{lab.id}.py").exists()]


def open_page(page: str, seed: int | None = None) -> AppTest:
    """The router (app.py) for the home page; a lab page on its own, as the router runs it,
    with the sidebar's seed put in session state the way the sidebar widget would."""
    script = ROOT / ("app.py" if page == "home" else f"pages/{page}.py")
    at = AppTest.from_file(str(script), default_timeout=120)
    if seed is not None:
        at.session_state["seed"] = seed
    at.run()
    assert not at.exception, at.exception
    return at


def set_knob(at: AppTest, key: str, value) -> None:
    """Set a knob through its widget; a knob not drawn (its visible_if fails) takes the
    value through session state, as a link or preset would give it."""
    for kind in ("slider", "number_input", "select_slider", "selectbox", "toggle"):
        widgets = [w for w in getattr(at, kind) if w.key == key]
        if widgets:
            widgets[0].set_value(value)
            return
    at.session_state[key] = value


def test_home_lists_every_lab_page_with_a_link():
    at = open_page("home")
    text = " ".join(m.value for m in at.markdown)
    for lab in LAB_PAGES:
        assert lab.question in text
    assert [s for s in at.sidebar.number_input if s.key == "seed"]
    assert any("Device:" in c.value for c in at.sidebar.caption)


def test_every_lab_has_a_page():
    assert [lab.id for lab in all_labs().values()] == [lab.id for lab in LAB_PAGES]


def test_router_navigates_to_every_lab_page():
    at = open_page("home")
    for lab in LAB_PAGES:
        at.switch_page(str(ROOT / "pages" / f"{lab.id}.py"))
        at.run()
        assert not at.exception, (lab.id, at.exception)
        assert at.title[0].value == lab.title


@pytest.mark.parametrize("lab", LAB_PAGES, ids=lambda lab: lab.id)
def test_lab_page_trains_and_shows_figures(lab):
    at = open_page(lab.id, seed=3)
    for name, value in lab.smoke.items():
        set_knob(at, f"{lab.id}.{name}", value)
    at.run()
    charts_before = len(at.get("plotly_chart"))
    at.button(key=f"train:{lab.id}").click()
    result = wait_for_result(at, lab.id)
    assert result.lab == lab.id and result.steps <= max(lab.smoke.get("steps", 10**9), 1)
    at.run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) > charts_before
    assert result.config["seed"] == 3  # the sidebar's seed reached the lab
    # the run ends in words: the lab's criterion and what it measured
    ended = [el.value.replace("\\", "") for el in
             list(at.success) + list(at.info) + list(at.warning)]  # shown as literal text
    assert any(text.startswith("Criterion: ") for text in ended) or result.status in (
        "stopped", "diverged"), ended
    # under the figures, one line per model: its steps and sizes, each as it trained
    captions = [c.value.replace("\\", "") for c in at.caption]
    assert "Trained with (each model):" in captions, captions
    for record in result.arrays["trained_with"]:
        said = f"{model_name(record['name'])} — {record['steps']:,} steps × batch "
        assert any(c.startswith(said) and f"{record['parameters']:,} parameters" in c
                   for c in captions), (said, captions)
