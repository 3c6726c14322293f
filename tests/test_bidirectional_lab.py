"""The Bidirectional lab end to end: tiny runs, the command line, the mask sweep, the typed
probe, the headline figure, and (slow) the lab's claims on the default demo and its presets."""
import json

import pytest
import torch

from cli_runner import cli
from core.arm_scheduler import arms_at_once
from core.contract import ConfigError
from core.labs import get_lab
from core.labs.bidirectional import tag_typed
from core.labs.bidirectional.studies import run_mask_sweep
from core.text_limits import BIDIRECTIONAL_INPUT_MAX_CHARS
from core.viz.bidirectional import headline

LAB = get_lab("bidirectional")
TINY = {"steps": 5, "hidden": 8, "seq_len": 6, "eval_every": 5, "batch": 8}


@pytest.fixture(scope="module")
def tiny():
    seen = []
    result = LAB.run(LAB.make_config(TINY), on_step=lambda s, m: seen.append(m))
    return result, seen


def test_tiny_run_trains_both_directions_and_reports_the_metrics(tiny):
    r, seen = tiny
    m = r.metrics
    assert set(m["by_direction"]) == {"uni", "bi"}
    assert m["causal_bound"] == pytest.approx(0.25)
    assert 0.0 <= m["backward_share"] <= 1.0
    assert m["by_direction"]["uni"]["backward_share"] == 0.0
    assert {e["series"] for e in seen} == {"uni", "bi"}
    assert 0 <= seen[-1]["progress"] <= 1
    paths = r.arrays["gradient_paths"]
    assert len(paths["bi"]["forward_hidden"]) == 6 and len(paths["bi"]["backward_hidden"]) == 6
    assert paths["uni"]["backward_input"] == []
    assert set(r.arrays["histories"]) == {"uni", "bi"}
    assert set(r.artifacts["models"]) == {"uni", "bi"}
    json.loads(r.to_json())


def test_numbers_come_from_the_test_set_and_the_curve_from_validation(tiny):
    r, _ = tiny
    m = r.metrics
    # lookahead d = 2 in sequences of 6: 4 labels per sequence
    assert m["test_labels"] == 4 * m["test_sequences"]
    assert m["causal_bound_tolerance"] == pytest.approx(
        m["bound_sigmas"] * (0.25 * 0.75 / m["test_labels"]) ** 0.5)
    assert m["causal_bound_limit"] == pytest.approx(0.25 + m["causal_bound_tolerance"])
    for name in ("uni", "bi"):
        live = r.arrays["live"][name]
        assert live["step"] == [5] and len(live["accuracy"]) == 1
        assert live["test_accuracy"] == m[f"accuracy_{name}"]
        evals = [h for h in r.arrays["histories"][name] if h.get("eval")]
        assert [h["accuracy"] for h in evals] == live["accuracy"]  # the validation curve
    assert r.arrays["live"]["bi"]["test_accuracy_future_hidden"] == \
        m["by_direction"]["bi"]["accuracy_future_hidden"]


@pytest.mark.parametrize("task", ["causal", "disambiguation", "palindrome", "first_token"])
def test_every_task_runs(task):
    r = LAB.run(LAB.make_config({**TINY, "task": task, "future_mask_p": 0.5, "cell": "lstm",
                                 "symbols": 3}))
    assert 0.0 <= r.metrics["accuracy"] <= 1.0
    assert ("causal_bound" in r.metrics) == (task == "disambiguation")
    json.loads(r.to_json())


def test_contradicting_knobs_are_refused_naming_them():
    with pytest.raises(ConfigError, match=r"offset d \(12\).*sequence length T \(12\)"):
        LAB.make_config({**TINY, "offset": 12, "seq_len": 12})
    with pytest.raises(ConfigError, match="disambiguation needs symbols K of at least 3"):
        LAB.make_config({"task": "disambiguation", "symbols": 2})
    LAB.make_config({"task": "palindrome", "offset": 20, "seq_len": 6})  # no offset used
    with pytest.raises(ConfigError, match="steps"):
        LAB.make_config({"steps": 7})  # off the step grid


def test_command_line_refuses_contradicting_knobs_in_one_line():
    out = cli("run", "bidirectional", "--set", "offset=15", "--set", "seq_len=10")
    assert out.returncode == 2 and "offset d (15)" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_stop_request_ends_the_run_early():
    r = LAB.run(LAB.make_config({**TINY, "steps": 200}), should_stop=lambda: True)
    assert r.status == "stopped" and r.steps == 0
    assert "uni: not trained" in r.metrics["skipped"]  # the rival is skipped
    assert r.metrics["skipped"][0].startswith("bi: test accuracy")


def test_steps_zero_measures_the_untrained_model():
    r = LAB.run(LAB.make_config({**TINY, "steps": 0, "compare": False}))
    assert r.steps == 0 and r.arrays["live"]["bi"]["step"] == [0]
    assert r.metrics["steps_to_criterion"] is None


def test_mask_sweep_is_a_study_with_one_point_per_p():
    r = run_mask_sweep(LAB.make_config({**TINY, "steps": 5}), ps=(0.0, 1.0))
    assert r.metrics["p"] == [0.0, 1.0] and len(r.metrics["backward_share"]) == 2
    assert r.status == "completed" and r.steps == 10
    assert set(r.arrays["histories"]) == {"p=0", "p=1"}
    json.loads(r.to_json())
    study = LAB.study("mask_sweep")
    assert study.total_steps(LAB.make_config(TINY)) == TINY["steps"] * 5


def test_a_stopped_sweep_keeps_only_the_models_that_finished():
    calls = []
    with arms_at_once(1):  # the polls counted are one model's after another's
        r = run_mask_sweep(LAB.make_config({**TINY, "steps": 5}), ps=(0.0, 1.0),
                           should_stop=lambda: calls.append(1) or len(calls) > 7)  # after one p
    assert r.status == "stopped" and r.metrics["p"] == [0.0]


def test_runs_with_the_default_device_set_to_meta():
    """Every tensor is created on an explicit device: with the default device set to meta,
    one that is not would fail to mix with the CPU model."""
    torch.set_default_device("meta")
    try:
        r = LAB.run(LAB.make_config({**TINY, "task": "palindrome", "future_mask_p": 0.5}))
    finally:
        torch.set_default_device(None)
    assert r.status in ("completed", "succeeded")


def test_command_line_reports_the_required_metric_keys():
    out = cli("run", "bidirectional", "--set", "steps=5", "--set", "task=lookahead", "--set",
              "direction=bi", "--set", "future_mask_p=0.5", "--set", "seed=1", "--json")
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout)["metrics"]
    assert {"accuracy", "backward_share", "causal_bound", "seconds_to_success"} <= set(metrics)


def test_typed_sequence_is_tagged_beside_the_true_labels(tiny):
    r, _ = tiny
    view = tag_typed(r, "a b c d a b")
    assert view["arm"] == "bi" and view["symbols"] == list("abcdab")
    assert view["correct"] == ["c", "d", "a", "b", None, None]  # lookahead, d = 2
    assert len(view["tags"]) == 6 and set(view["tags"]) <= set("abcd")
    assert len(view["forward_states"]) == 6 and len(view["backward_states"]) == 6
    uni = tag_typed(r, "0 1 2 3", "uni")
    assert uni["backward_states"] == [] and uni["symbols"] == list("abcd")


def test_typed_text_is_refused_with_the_problem_named(tiny):
    r, _ = tiny
    with pytest.raises(ValueError, match="'e'"):
        tag_typed(r, "a b e")
    with pytest.raises(ValueError, match="empty"):
        tag_typed(r, "   ")
    with pytest.raises(ValueError, match="unknown model 'tri'"):
        tag_typed(r, "a b", "tri")
    too_long = "a" * (BIDIRECTIONAL_INPUT_MAX_CHARS + 1)
    with pytest.raises(ValueError, match=f"at most {BIDIRECTIONAL_INPUT_MAX_CHARS}"):
        tag_typed(r, too_long)
    # the length is checked before anything else: even a result without models says so
    bare = type(r).from_dict(r.to_dict())
    with pytest.raises(ValueError, match="characters"):
        tag_typed(bare, too_long)
    with pytest.raises(ValueError, match="train first"):
        tag_typed(bare, "a b")


def test_sequence_tasks_are_tagged_once_per_sequence():
    r = LAB.run(LAB.make_config({**TINY, "task": "palindrome", "compare": False}))
    view = tag_typed(r, "a b c b a")
    assert view["level"] == "sequence" and view["correct"] == ["palindrome"]
    assert view["tags"][0] in ("palindrome", "not a palindrome")


def test_headline_draws_before_data_with_one_arm_and_on_a_finished_result(tiny):
    r, _ = tiny
    empty = headline({}, r.config)
    assert empty.layout.xaxis.title.text and empty.layout.yaxis.title.text
    assert any("waiting" in a.text for a in empty.layout.annotations)
    bound = [s for s in empty.layout.shapes if s.line.dash == "dash"]
    assert len(bound) == 1 and bound[0].y0 == pytest.approx(0.25)
    # named in the legend (a trace with no points), not by a label the curves run through
    assert [t.name for t in empty.data if t.x == (None,)] == ["causal bound 1/K = 0.250 (theory)"]
    assert not any("causal bound" in a.text for a in empty.layout.annotations)
    one = headline({"bi": {"step": [5], "accuracy": [0.3]}}, r.config)
    assert [t.name for t in one.data if t.x != (None,)] == ["bi (validation)"]
    done = headline(r.arrays["live"], r.config)
    # two curves, two test stars, the future-hidden diamond, and the bound's legend entry
    assert len(done.data) == 6
    disamb = headline({}, {**r.config, "task": "disambiguation", "symbols": 5})
    assert any("max(p, 1 − p) = 0.625" in t.name for t in disamb.data)
    no_bound = headline({}, {**r.config, "task": "palindrome"})
    assert not [s for s in no_bound.layout.shapes if s.line.dash == "dash"]


@pytest.mark.slow
def test_default_demo_uni_sits_at_the_bound_while_bi_solves_lookahead():
    """The 'reading ahead' preset (the defaults): the picture is clear when the run ends."""
    assert LAB.preset("reading ahead").overrides == {}
    r = LAB.run(LAB.make_config({}))
    m = r.metrics
    assert r.success and r.status == "succeeded"
    assert m["accuracy_bi"] >= 0.98  # trained on past the criterion, to the picture
    assert m["steps_to_criterion"] is not None and m["steps_to_criterion"] <= r.steps
    assert abs(m["accuracy_uni"] - m["causal_bound"]) < m["causal_bound_tolerance"]
    assert m["by_direction"]["bi"]["accuracy_future_hidden"] < \
        m["causal_bound"] + m["causal_bound_tolerance"]
    # the backward pass reaches x_1 in one step, the forward pass through T-1
    bi = m["by_direction"]["bi"]
    assert bi["grad_x1_backward"] > 10 * bi["grad_x1_forward"]


@pytest.mark.slow
def test_a_later_word_decides_holds_the_causal_model_at_its_exact_bound():
    r = LAB.run(LAB.make_config(LAB.preset("a later word decides").overrides))
    m = r.metrics
    assert m["causal_bound"] == pytest.approx(5 / 8)
    assert r.success and m["accuracy_bi"] >= 0.9
    assert abs(m["accuracy_uni"] - m["causal_bound"]) < m["causal_bound_tolerance"]


@pytest.mark.slow
def test_causal_target_with_full_masking_shuts_the_backward_pathway():
    r = LAB.run(LAB.make_config(LAB.preset("a causal target").overrides))
    assert r.success
    assert r.metrics["backward_share"] < 0.05
    assert r.metrics["backward_share_unmasked"] < 0.05
