"""The URL against the page's own state, under AppTest: an older URL brought back by a rerun
is not a new link, and a knob moved back to its default after a preset stays in the link."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def _page(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "gradients.py"), default_timeout=240)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def _set_url(at: AppTest, params: dict) -> None:
    for k in list(at.query_params):
        del at.query_params[k]
    for k, v in params.items():
        at.query_params[k] = v


def test_a_rerun_carrying_an_older_url_keeps_the_click():
    at = _page()
    at.selectbox(key="gradients.cell").set_value("rnn")
    at.run()
    older = dict(at.query_params)
    assert older["cell"] == "rnn"
    at.selectbox(key="gradients.cell").set_value("gru")
    at.run()
    # the next click reaches the server before the browser's address bar caught up
    _set_url(at, older)
    at.slider(key="gradients.seq_len").set_value(50)
    at.run()
    assert at.selectbox(key="gradients.cell").value == "gru"
    assert dict(at.query_params)["cell"] == "gru" and dict(at.query_params)["seq_len"] == "50"


def test_a_knob_set_back_to_its_default_after_a_preset_is_in_the_link():
    at = _page()
    at.button_group(key="preset-pick:gradients").set_value("tanh forgets")  # cell = rnn
    at.run()
    at.selectbox(key="gradients.cell").set_value("lstm")  # the default cell
    at.run()
    params = dict(at.query_params)
    assert params["preset"] == "tanh forgets" and params["cell"] == "lstm"
    again = _page(params)
    assert again.selectbox(key="gradients.cell").value == "lstm"
