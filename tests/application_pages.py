"""One check every Applications lab page passes: it trains from its Train button on the lab's
smoke settings, says what Train will do before, shows its numbers after, and draws each of its
tabs, the Theory and the Export."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

from conftest import wait_for_result
from core.labs import get_lab

ROOT = Path(__file__).resolve().parents[1]


def page_test(lab_id: str, overrides: dict | None = None) -> AppTest:
    """The lab's page with the smoke settings (and `overrides`) in its widgets' state."""
    at = AppTest.from_file(str(ROOT / "pages" / f"{lab_id}.py"), default_timeout=120)
    for name, value in {**get_lab(lab_id).smoke, **(overrides or {})}.items():
        at.session_state[f"{lab_id}.{name}"] = value
    return at


def check_trains_and_draws_its_tabs(lab_id: str, tabs: tuple[str, ...],
                                    overrides: dict | None = None):
    at = page_test(lab_id, overrides)
    at.run()
    assert not at.exception, at.exception
    assert any("Train" in i.value for i in at.info)  # the idle note
    at.button(key=f"train:{lab_id}").click()
    result = wait_for_result(at, lab_id)
    assert result.lab == lab_id
    at.run()
    assert not at.exception, at.exception
    assert len(at.metric) >= 4
    at.session_state[f"tabs:{lab_id}"] = "Theory"
    at.run()
    assert any("Where the theory comes from" in m.value for m in at.markdown)
    headline_only = len(at.get("plotly_chart"))
    for tab in tabs:
        at.session_state[f"tabs:{lab_id}"] = tab
        at.run()
        assert not at.exception, (tab, at.exception)
        assert len(at.get("plotly_chart")) > headline_only, tab
    at.session_state[f"tabs:{lab_id}"] = "Export"
    at.run()
    assert not at.exception, at.exception
    return at, result
