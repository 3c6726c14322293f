"""Links, presets, present mode, A/B and precomputed results, under AppTest."""
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from conftest import shown_text, wait_for_result
from core.labs import all_labs, get_lab
from core.precompute import load_cached, precompute, store

ROOT = Path(__file__).resolve().parents[1]
LABS_WITH_PAGES = [lab for lab in all_labs().values() if (ROOT / "pages" / f"{lab.id}.py").exists()]


def page(lab_id: str, params: dict | None = None, state: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{lab_id}.py"), default_timeout=120)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_link_restores_knobs_and_ignores_bad_parameters_with_a_notice():
    at = page("gradients", {"cell": "gru", "seq_len": "120", "lr": "0.005",
                            "hidden": "9999", "colour": "red", "supervision": "some"})
    assert at.selectbox(key="gradients.cell").value == "gru"
    assert at.slider(key="gradients.seq_len").value == 120
    assert at.select_slider(key="gradients.lr").value == 0.005
    assert at.slider(key="gradients.hidden").value == 64  # refused, default kept
    notice = " ".join(shown_text(w.value) for w in at.warning)
    assert "hidden" in notice and "'colour'" in notice and "supervision" in notice


def test_every_knob_widget_falls_back_to_its_current_value_not_its_minimum():
    """What the browser shows if it loses a widget's state mid-run is the widget's default:
    it must be the knob's value (from a link, then from a move), never the range's start."""
    at = page("gradients", {"cell": "gru", "seq_len": "120", "lr": "0.005"})
    sliders = [w for w in at.slider if w.key and w.key.startswith("gradients.")]
    assert sliders and all(list(w.proto.default) == [w.value] for w in sliders)
    cell = at.selectbox(key="gradients.cell")
    assert cell.options[cell.proto.default] == "gru"
    lr = at.select_slider(key="gradients.lr")
    assert [lr.options[int(i)] for i in lr.proto.default] == ["0.005"]
    at.slider(key="gradients.seq_len").set_value(40)
    at.run()
    assert list(at.slider(key="gradients.seq_len").proto.default) == [40]


def test_the_url_follows_the_page_so_a_copied_link_reproduces_it():
    at = page("gradients")
    at.selectbox(key="gradients.cell").set_value("rnn")
    at.slider(key="gradients.seq_len").set_value(40)
    at.run()
    params = dict(at.query_params)
    assert params["cell"] == "rnn" and params["seq_len"] == "40"
    again = page("gradients", params)
    assert again.selectbox(key="gradients.cell").value == "rnn"
    assert again.slider(key="gradients.seq_len").value == 40
    assert not again.warning


def test_picking_a_preset_sets_its_knobs_and_defaults_the_rest():
    lab = get_lab("gradients")
    preset = lab.preset("forget-gate bias")
    at = page("gradients", state={"gradients.seq_len": 33})
    at.button_group(key="preset-pick:gradients").set_value("forget-gate bias")
    at.run()
    assert at.slider(key="gradients.forget_bias").value == preset.overrides["forget_bias"]
    assert at.slider(key="gradients.seq_len").value == 80  # back to the default
    assert any("forget-gate bias" in i.value for i in at.info)


def test_present_mode_shows_only_the_knobs_the_preset_names():
    lab = get_lab("gradients")
    preset = lab.preset("tanh forgets")
    at = page("gradients", {"present": "1", "preset": "tanh forgets"}, state={"present": True})
    drawn = {w.key.split(".", 1)[1] for kind in ("slider", "selectbox", "toggle", "select_slider")
             for w in getattr(at, kind) if w.key and w.key.startswith("gradients.")}
    assert drawn == set(preset.show)
    assert at.selectbox(key="gradients.cell").value == "rnn"


@pytest.mark.parametrize("lab", [lab for lab in LABS_WITH_PAGES if lab.presets],
                         ids=lambda lab: lab.id)
def test_every_preset_names_real_knobs(lab):
    for preset in lab.presets:
        lab.make_config(preset.overrides)  # raises on an unknown knob or a bad value
        assert set(preset.show) <= set(vars(lab.Config())), (lab.id, preset.name)


def test_two_runs_are_compared_with_the_changed_knob_named():
    lab = get_lab("gradients")
    at = page("gradients")
    for name, value in {**lab.smoke, "compare_cells": False}.items():
        for kind in ("slider", "toggle"):
            for w in getattr(at, kind):
                if w.key == f"gradients.{name}":
                    w.set_value(value)
    at.run()
    at.button(key="train:gradients").click()
    first = wait_for_result(at, "gradients")
    at.selectbox(key="gradients.cell").set_value("rnn")
    at.run()
    at.button(key="train:gradients").click()
    deadline = time.monotonic() + 240
    while at.session_state["result:gradients"] is first and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    assert at.session_state["previous:gradients"] is first
    at.session_state["tabs:gradients"] = "A/B"
    at.run()
    titles = [e.label for e in at.expander]
    assert any("cell: lstm → rnn" in t for t in titles), titles


@pytest.mark.parametrize("lab", LABS_WITH_PAGES, ids=lambda lab: lab.id)
def test_a_precomputed_result_shows_at_once_without_training(lab, tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_CACHE", str(tmp_path))
    config = lab.make_config(lab.smoke)
    result = lab.run(config)
    store(result, lab.id, config)
    assert load_cached(lab.id, config).to_dict() == result.to_dict()
    at = page(lab.id, {k: str(v).lower() if isinstance(v, bool) else str(v)
                       for k, v in lab.smoke.items()})
    assert any("precomputed" in i.value for i in at.info), lab.id
    assert "run:" + lab.id not in at.session_state  # nothing trained


def test_precompute_runs_presets_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_CACHE", str(tmp_path))
    lab = get_lab("gradients")
    written = precompute([lab], preset_names=["linear: the closed form"],
                         overrides={"steps": 5, "seq_len": 10, "lag": 10}, log=lambda *_: None)
    assert len(written) == 1 and written[0].exists()


def test_a_stored_run_from_other_code_is_not_shown(tmp_path, monkeypatch):
    import core.precompute as pre
    monkeypatch.setenv("RNNLAB_CACHE", str(tmp_path))
    lab = get_lab("gradients")
    config = lab.make_config(lab.smoke)
    store(lab.run(config), lab.id, config)
    assert load_cached(lab.id, config) is not None
    monkeypatch.setattr(pre, "code_version", lambda: "another version of core")
    assert load_cached(lab.id, config) is None


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["cell", "hidden", "lr", "seed", "preset", "present",
                                        "steps", "x" * 300, "ünï"]),
                       st.text(max_size=40) | st.sampled_from(["nan", "inf", "-1", "1e309"]),
                       max_size=4))
def test_any_link_opens_the_page_with_notices_never_an_error(params):
    at = page("gradients", params)
    assert at.slider(key="gradients.hidden").value in range(4, 257)
    assert all(len(w.value) < 2000 for w in at.warning)
