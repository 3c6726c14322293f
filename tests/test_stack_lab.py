"""The stack lab end to end: tiny runs, initialisations as nested phases, seeds and streams,
stopping, typed strings, the headline figure, the command line, and (slow) the default demo."""
import json

import pytest
import torch

from cli_runner import cli
from core.contract import ConfigError, Result
from core.device import build_seeded, stream_seed
from core.labs import get_lab
from core.labs.stack import training as stack_training
from core.labs.stack import STUCK_CORRELATION, STUCK_SWEEP, trace_typed
from core.labs.stack.training import make_data
from core.models.stack_rnn import build_model
from core.sweep import lab_sweeps, plan_sweep, scalar_metrics
from core.tasks.dyck import run_stack
from core.text_limits import STACK_STRING_MAX_CHARS
from core.viz import stack as viz

LAB = get_lab("stack")
REQUIRED = ("accuracy", "accuracy_long", "accuracy_deeper", "depth_correlation",
            "probe_action_agreement")
TINY = {"steps": 5, "hidden": 8, "train_len": 6, "test_len": 12, "eval_every": 5,
        "batch": 16}


def tiny(**over):
    return LAB.run(LAB.make_config({**TINY, **over}))


@pytest.fixture(scope="module")
def compared():
    seen = []
    result = LAB.run(LAB.make_config(TINY), on_step=lambda step, m: seen.append(m))
    return result, seen


def test_tiny_run_has_every_metric_and_figure_array(compared):
    result, seen = compared
    assert result.steps == 5 and result.status == "completed"
    for key in REQUIRED:
        assert key in result.metrics
    assert set(result.metrics["comparison"]) == {"stack", "lstm", "rnn"}
    assert result.metrics["train_lengths"] == [2, 6] and result.metrics["test_lengths"] == [8, 12]
    assert result.metrics["test_strings"] == {"training lengths": 3 * 64, "longer": 3 * 64,
                                              "per length": 64}
    assert result.arrays["lengths"] == [2, 4, 6, 8, 10, 12]
    assert all(len(v) == 6 for v in result.arrays["accuracy_by_length"].values())
    traces = result.arrays["traces"]
    assert len(traces[0]["text"]) == 12  # the first example has the longest test length
    for t in traces:
        assert len(t["actions"]) == len(t["text"]) == len(t["true_depth"]) == len(t["exact"])
        assert all(abs(sum(a) - 1) < 1e-5 for a in t["actions"])
    assert -1.0 <= result.metrics["depth_correlation"] <= 1.0
    # The headline figure's data: the stack's trace of the probe, the others' length curves.
    live = result.arrays["live"]
    assert live["stack"]["text"] == result.arrays["probe"] and live["stack"]["step"] == 5
    assert live["lstm"]["lengths"] == result.arrays["lengths"]
    assert live["lstm"]["accuracy"] == result.arrays["accuracy_by_length"]["lstm"]
    assert {e["series"] for e in seen} == {"stack", "lstm", "rnn"}
    assert any("live" in e for e in seen) and seen[-1]["progress"] == pytest.approx(1.0)
    # The JSON form round-trips and keeps the required keys.
    again = Result.from_dict(json.loads(result.to_json()))
    assert set(REQUIRED) <= set(again.metrics)
    assert set(result.artifacts["models"]) == {"stack", "lstm", "rnn"}


def test_the_stuck_rate_sweep_fits_the_lab_and_its_metric_is_a_rate(compared):
    result, _ = compared
    m = result.metrics
    assert m["stack_stuck"] == (m["depth_correlation"] < STUCK_CORRELATION)
    assert scalar_metrics(m)["stack_stuck"] in (0.0, 1.0)  # its mean over seeds is a rate
    assert lab_sweeps(LAB)[STUCK_SWEEP.name] is STUCK_SWEEP
    assert plan_sweep(LAB, STUCK_SWEEP).total == STUCK_SWEEP.seeds * 2
    preset = LAB.preset("stuck seeds")
    assert preset.sweep == STUCK_SWEEP.name and f"{STUCK_SWEEP.seeds} seeds" in preset.note
    assert "with 1 and with 3 initialisations" in preset.note


def test_deeper_strings_are_counted_against_the_deepest_training_string(compared):
    """Recount from the same test stream with the exact automaton: the longer strings whose
    depth exceeds the deepest string the training batches held."""
    result, _ = compared
    m = result.metrics
    data = make_data(LAB.make_config(TINY), torch.device("cpu"))
    depths = data.test_long.depth.max(dim=1).values.tolist()
    assert 1 <= m["training_depth_max"] <= 6 // 2 + 1  # a hard negative adds at most one
    assert m["deeper_strings"] == sum(d > m["training_depth_max"] for d in depths)
    assert m["test_depth_max"] == max(depths)


def test_validation_test_and_probe_strings_come_from_their_own_streams():
    data = make_data(LAB.make_config(TINY), torch.device("cpu"))
    assert not torch.equal(data.val_in.x[:64], data.test_in.x[:64, :data.val_in.x.shape[1]])
    probe = run_stack(data.probe, "dyck2")
    assert probe.balanced and len(data.probe) == 12
    again = make_data(LAB.make_config({**TINY, "seed": 1}), torch.device("cpu"))
    assert not torch.equal(again.test_long.x, data.test_long.x)


def test_the_headline_figure_draws_with_nothing_one_model_and_a_result(compared):
    result, _ = compared
    for live, config in (({}, result.config), (result.arrays["live"], result.config),
                         ({}, {**result.config, "model": "lstm"}),
                         ({}, {**result.config, "model": "rnn", "compare": False}),
                         ({"rnn": result.arrays["live"]["rnn"]},
                          {**result.config, "model": "rnn", "compare": False})):
        fig = viz.headline(live, config)
        assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    lone = viz.headline({"rnn": result.arrays["live"]["rnn"]},
                        {**result.config, "model": "rnn", "compare": False})
    assert "no stack to trace" in lone.layout.title.text


def test_lstm_alone_has_no_stack_trace():
    result = tiny(model="lstm", compare=False, task="anbn", form="recognition")
    assert set(result.metrics["comparison"]) == {"lstm"}
    assert result.metrics["depth_correlation"] is None and "traces" not in result.arrays
    assert set(result.arrays["live"]) == {"lstm"}


def test_initialisations_are_nested_phases_with_their_own_seeds():
    seen = []
    config = LAB.make_config({**TINY, "tries": 2})
    result = LAB.run(config, on_step=lambda step, m: seen.append((m["series"], m["progress"])))
    assert {k: v["initialisations_tried"] for k, v in result.metrics["comparison"].items()} \
        == {"stack": 2, "lstm": 2, "rnn": 2}
    assert {s for s, _ in seen} == {f"{k} · init {i}" for k in ("stack", "lstm", "rnn")
                                    for i in (1, 2)}
    progress = [p for _, p in seen]
    assert progress == sorted(progress) and progress[-1] == pytest.approx(1.0)
    # The first initialisation is the run's own seed; the next one a seed derived from it.
    first = stack_training._new_model("stack", config, make_data(config, "cpu"), 0)
    second = stack_training._new_model("stack", config, make_data(config, "cpu"), 1)
    alone = build_seeded(config.seed, lambda: build_model("stack", 4, 8, 4, capacity=14))
    derived = build_seeded(stream_seed(config.seed, "init") + 1,
                           lambda: build_model("stack", 4, 8, 4, capacity=14))
    assert torch.equal(first.input.weight, alone.input.weight)
    assert torch.equal(second.input.weight, derived.input.weight)
    assert not torch.equal(first.input.weight, second.input.weight)


def test_the_kept_initialisation_goes_on_in_its_own_phase(monkeypatch):
    monkeypatch.setattr(stack_training, "PROBE_STEPS", 3)
    seen = []
    result = LAB.run(LAB.make_config({**TINY, "steps": 10, "tries": 2, "compare": False}),
                     on_step=lambda step, m: seen.append((step, m["series"], m["progress"])))
    assert result.steps == 10
    assert [h["step"] for h in result.history if "loss" in h] == list(range(1, 11))
    tail = [(s, series) for s, series, _ in seen if s > 3]
    assert len({series for _, series in tail}) == 1  # the kept one's curve continues
    progress = [p for *_, p in seen]
    assert progress == sorted(progress) and progress[-1] == pytest.approx(1.0)


def test_odd_lengths_and_a_test_no_longer_than_training_are_refused():
    with pytest.raises(ConfigError, match="train_len: 7 is not a multiple of 2"):
        LAB.make_config({"train_len": 7})
    with pytest.raises(ConfigError, match=r"test_len \(20\) must be above train_len \(20\)"):
        LAB.make_config({"train_len": 20, "test_len": 20})


def test_recognition_form_on_dyck1_runs_and_traces():
    result = tiny(task="dyck1", form="recognition", compare=False)
    assert result.arrays["state_names"] == ["unbalanced", "balanced"]
    assert "predicted_balanced_prob" in result.arrays["traces"][0]


def test_stop_request_measures_nothing_more_and_says_what_it_skipped():
    result = LAB.run(LAB.make_config({**TINY, "steps": 500}), should_stop=lambda: True)
    assert result.status == "stopped" and result.steps == 0
    assert result.metrics["skipped"][0] == "stack: test strings scored and the final trace"
    assert {"lstm: not trained", "rnn: not trained"} <= set(result.metrics["skipped"])
    assert result.arrays["live"]["stack"]["step"] == 0  # the untrained actions, sent first


def test_typed_strings_are_checked_before_any_work(compared):
    result, _ = compared
    trace = trace_typed(result, "( [ ] )")
    assert trace["text"] == "([])" and trace["exact"] == ["push", "push", "pop", "pop"]
    bare = Result.from_dict(result.to_dict())  # a stored result: no trained model
    with pytest.raises(ValueError, match=f"type at most {STACK_STRING_MAX_CHARS}"):
        trace_typed(bare, "(" * (STACK_STRING_MAX_CHARS + 1))  # the length, before the rest
    with pytest.raises(ValueError, match="no trained stack model"):
        trace_typed(bare, "()")
    with pytest.raises(ValueError, match="holds 14"):
        trace_typed(result, "()" * 8)
    with pytest.raises(ValueError, match="'x'"):
        trace_typed(result, "(x)")


def test_command_line_prints_the_required_metrics():
    out = cli("run", "stack", "--set", "steps=5", "--set", "task=dyck1", "--set", "model=stack",
              "--set", "hidden=8", "--set", "compare=false", "--set", "seed=1", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["lab"] == "stack" and data["steps"] == 5
    for key in REQUIRED:
        assert key in data["metrics"]
    bad = cli("run", "stack", "--set", "model=gru")
    assert bad.returncode == 2 and "model" in (bad.stderr + bad.stdout)
    bad = cli("run", "stack", "--set", "test_len=10", "--set", "train_len=20")
    assert bad.returncode == 2 and "test_len (10) must be above train_len (20)" in bad.stderr


@pytest.mark.slow
def test_default_demo_stack_generalises_and_lstm_falls():
    result = LAB.run(LAB.make_config({}))
    m = result.metrics
    assert result.success and result.status == "succeeded"
    assert m["accuracy"] >= 0.99 and m["accuracy_long"] >= 0.95
    lstm = m["comparison"]["lstm"]
    assert lstm["accuracy_long"] <= m["accuracy_long"] - 0.2  # the LSTM falls beyond training
    assert lstm["accuracy_long"] < lstm["accuracy"] - 0.1
    assert m["comparison"]["rnn"]["accuracy_long"] <= m["accuracy_long"] - 0.2
    # Strings deeper than any in training: the stack model keeps them, the LSTM does not.
    assert m["deeper_strings"] > 0
    assert m["accuracy_deeper"] >= 0.85 and lstm["accuracy_deeper"] <= 0.5
    # The trace pushes on openers and pops on closers, and the stack height is the depth.
    assert m["stack_actions"]["opener"]["push"] > 0.9
    assert m["stack_actions"]["closer"]["pop"] > 0.9
    assert m["depth_correlation"] > 0.95
    assert m["probe_action_agreement"] >= stack_training.PICTURE_CLEAR  # the picture is clear


@pytest.mark.slow
def test_a_stuck_seed_is_called_stuck_and_more_initialisations_free_it():
    """Seed 6 with the defaults leaves its stack idle (the page's warning then suggests more
    initialisations); with three, the best one uses its stack."""
    config = {"model": "stack", "compare": False, "seed": 6}
    stuck = LAB.run(LAB.make_config(config)).metrics
    assert stuck["depth_correlation"] < STUCK_CORRELATION and stuck["stack_stuck"]
    assert stuck["probe_action_agreement"] < stack_training.PICTURE_CLEAR
    freed = LAB.run(LAB.make_config({**config, "tries": 3})).metrics
    assert freed["depth_correlation"] > 0.95 and freed["accuracy_long"] >= 0.95
    assert not freed["stack_stuck"]
