"""The pointer lab end to end: tiny runs, the command line, typed input, figures, the default."""
import json

import pytest
import torch

from cli_runner import cli
from core.analysis.permutation import log_factorial
from core.contract import ConfigError, Result
from core.labs import get_lab
from core.labs.pointer import decode_typed
from core.text_limits import POINTER_NUMBERS_MAX_CHARS
from core.viz import pointer as viz

LAB = get_lab("pointer")
REQUIRED = ("accuracy", "token_accuracy", "accuracy_by_length", "valid_permutation_rate",
            "zeroed_decoder_loss", "t_log_t", "accuracy_beyond_training", "seconds_to_success")
TINY = {"steps": 5, "eval_every": 5, "batch": 16, "hidden": 8, "min_len": 3, "max_len": 5,
        "test_max_len": 7}


def _figures(result):
    figs = [viz.headline(result.arrays["live"], result.config),
            viz.uniform_loss_bars(result), viz.training_curves(result),
            viz.valid_rate_by_length(result)]
    if result.config["task"] == "select":
        figs.append(viz.set_loss_bars(result))
    for example in result.arrays["probes"].values():
        figs += [viz.distribution_heatmap(example), viz.permutation_arrows(example)]
        assert len(viz.permutation_table(example)) == len(example["emitted"])
    return figs


@pytest.fixture(scope="module")
def tiny_runs():
    return {task: LAB.run(LAB.make_config({**TINY, "task": task, "set_size": 2}))
            for task in ("sort", "identity", "select")}


@pytest.mark.parametrize("task", ["sort", "identity", "select"])
def test_tiny_run_has_every_metric_and_figure(tiny_runs, task):
    result = tiny_runs[task]
    m = result.metrics
    for key in REQUIRED:
        assert key in m
    assert set(m["accuracy_by_length"]) == set(range(3, 8))
    arms = ({"pointer", "vocab"} if task != "select" else
            {"pointer · hungarian", "vocab · hungarian", "pointer · fixed"})
    assert set(m["comparison"]) == arms
    assert set(result.arrays["histories"]) == arms and set(result.artifacts["models"]) == arms
    assert m["valid_permutation_rate"] == 1.0  # pointer with masking, even untrained
    assert m["zeroed_decoder_loss"] == pytest.approx(m["t_log_t"], rel=1e-5)
    # The vocab decoder has 5 classes: inputs of 6 and 7 need positions it cannot name.
    if task != "select":
        vocab = m["comparison"]["vocab"]
        assert vocab["accuracy_by_length"][6] == 0.0 and vocab["accuracy_by_length"][7] == 0.0
        assert vocab["accuracy_beyond_training"] == 0.0
    else:
        assert m["fixed_order_loss_floor"] == pytest.approx(log_factorial(2))
    restored = Result.from_dict(json.loads(result.to_json()))
    for fig in _figures(result) + _figures(restored):
        assert fig.layout.xaxis.title.text


def test_the_headline_ends_on_the_test_set_numbers(tiny_runs):
    """The figure beside the live loss: each decoder's exact match per length, measured on
    the test set at the end (the same numbers the metrics report)."""
    result = tiny_runs["sort"]
    for name, live in result.arrays["live"].items():
        by_len = result.metrics["comparison"][name]["accuracy_by_length"]
        assert live["measured_on"] == "test" and live["step"] == result.steps
        assert live["lengths"] == list(range(3, 8))
        assert live["accuracy"] == [by_len[n] for n in live["lengths"]]
    fig = viz.headline(result.arrays["live"], result.config)
    curves = [t for t in fig.data if t.x != (None,)]  # the rest are legend entries
    assert len(curves) == 2 and fig.layout.yaxis.title.text
    assert any("vocabulary ends" in t.name for t in fig.data if t.x == (None,))


def test_live_entries_measure_every_length_on_held_out_inputs():
    seen = []
    LAB.run(LAB.make_config({**TINY, "steps": 10, "compare_decoders": False}),
            on_step=lambda s, m: seen.append(m))
    live = [m["live"] for m in seen if "live" in m]
    assert [entry["step"] for entry in live] == [5, 10]
    for entry in live:
        assert entry["measured_on"] == "held-out" and entry["lengths"] == list(range(3, 8))
        assert all(0.0 <= a <= 1.0 for a in entry["accuracy"])
    assert {m["series"] for m in seen} == {"pointer"}


def test_the_headline_draws_with_no_data_and_with_one_decoder():
    config = LAB.make_config(TINY).__dict__
    empty = viz.headline({}, config)
    # only the legend entries of the shading and of the vocabulary's end
    assert [t.name for t in empty.data] == ["training lengths", "vocabulary ends (V = 5)"]
    assert "waiting" in empty.layout.annotations[-1].text
    one = viz.headline({"pointer": {"lengths": [3, 4], "accuracy": [1.0, 0.5], "step": 5,
                                    "measured_on": "held-out", "per_length": 32}}, config)
    assert len(one.data) == 3 and "step 5" in one.data[0].name


def test_steps_to_criterion_is_reported_without_stopping_early():
    """The run reports when held-out exact match first reached the criterion but goes on:
    an identity mapping is learned within the first measurement."""
    r = LAB.run(LAB.make_config({**TINY, "task": "identity", "steps": 60, "eval_every": 10,
                                 "hidden": 16, "compare_decoders": False}))
    assert r.steps == 60
    assert r.metrics["steps_to_criterion"] is not None and r.metrics["steps_to_criterion"] < 60
    assert r.metrics["seconds_to_success"] == r.metrics["seconds_to_criterion"] > 0
    assert r.success and r.status == "succeeded"


def test_stop_request_returns_a_result():
    result = LAB.run(LAB.make_config({**TINY, "steps": 50}), should_stop=lambda: True)
    assert result.status == "stopped" and result.steps == 0
    assert result.metrics["skipped"][0] == "pointer: test accuracy by length and losses"
    assert "the zeroed-decoder check" in result.metrics["skipped"]
    json.loads(result.to_json())


def test_a_stop_after_training_skips_the_test_set():
    """Training polls should_stop once per step: a stop that arrives after the last step
    skips the test set and the checks after it, and keeps the held-out headline."""
    calls = []

    def stop_late():
        calls.append(1)
        return len(calls) > TINY["steps"] + 2
    result = LAB.run(LAB.make_config({**TINY, "compare_decoders": False}),
                     should_stop=stop_late)
    assert result.steps == TINY["steps"] and result.status == "stopped"
    assert result.metrics["skipped"]
    assert result.arrays["live"]["pointer"]["measured_on"] == "held-out"


def test_contradicting_knobs_are_config_errors_naming_them():
    with pytest.raises(ConfigError, match="min_len: the shortest"):
        LAB.make_config({**TINY, "min_len": 6, "max_len": 4})
    with pytest.raises(ConfigError, match="test_max_len"):
        LAB.make_config({**TINY, "max_len": 8, "test_max_len": 6})
    with pytest.raises(ConfigError, match="set_size"):
        LAB.make_config({**TINY, "task": "select", "set_size": 3})
    LAB.make_config({**TINY, "set_size": 3})  # the set size only matters for select
    for preset in LAB.presets:
        LAB.make_config(preset.overrides)
    LAB.make_config(LAB.smoke)


def test_typed_input_decodes_or_names_the_problem():
    result = LAB.run(LAB.make_config({**TINY, "compare_decoders": False}))
    example = decode_typed(result, "[5, 2, 9, 1]")
    assert example["raw_values"] == [5.0, 2.0, 9.0, 1.0]
    assert example["target"] == [3, 1, 0, 2]
    assert sorted(example["emitted"]) == [0, 1, 2, 3]  # masking on
    assert len(example["probs"]) == 4 and len(example["probs"][0]) == 4
    with pytest.raises(ValueError, match="entry 3"):
        decode_typed(result, "1, 2, x")
    with pytest.raises(ValueError, match="unknown model"):
        decode_typed(result, "1, 2", arm="vocab")
    with pytest.raises(ValueError, match=f"at most {POINTER_NUMBERS_MAX_CHARS} characters"):
        decode_typed(result, "1, " * 10_000)
    decode_typed(result, ", ".join(["-1.2345678901234567e-123"] * 40))  # the longest valid
    stored = Result.from_dict(json.loads(result.to_json()))
    with pytest.raises(ValueError, match="train first"):
        decode_typed(stored, "1, 2")


def test_cli_prints_required_metrics_and_refuses_contradictions():
    out = cli("run", "pointer", "--set", "steps=5", "--set", "hidden=8", "--set", "eval_every=5",
              "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for key in REQUIRED:
        assert key in data["metrics"]
    assert data["config"]["task"] == "sort" and data["config"]["decoder"] == "pointer"
    bad = cli("run", "pointer", "--set", "min_len=9", "--set", "max_len=4")
    assert bad.returncode == 2 and "min_len" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_default_sort_demo_succeeds():
    config = LAB.Config()
    assert (config.task, config.decoder, config.masking) == ("sort", "pointer", True)
    result = LAB.run(config)
    m = result.metrics
    assert result.success and result.status == "succeeded"
    assert m["accuracy"] >= 0.9
    assert m["steps_to_criterion"] is not None and m["steps_to_criterion"] < config.steps
    assert m["valid_permutation_rate"] == 1.0  # every decoded output at every length
    assert m["zeroed_decoder_loss"] == pytest.approx(m["t_log_t"], rel=1e-5)
    vocab = m["comparison"]["vocab"]
    assert vocab["accuracy"] < m["accuracy"]
    assert all(vocab["accuracy_by_length"][n] == 0.0 for n in range(11, 16))
    assert m["trained_loss_at_T"] < vocab["trained_loss_at_T"] < m["t_log_t"]
    # The picture the lecture needs: the pointer keeps sorting past its training lengths,
    # and the vocabulary decoder has learned the lengths it can name before falling to 0.
    assert m["accuracy_beyond_training"] >= 0.85
    assert vocab["accuracy_by_length"][config.min_len] >= 0.8


def test_runs_with_the_default_device_set_to_meta():
    """Every tensor is created on an explicit device: with the default device set to meta,
    one that is not would fail to mix with the CPU model."""
    torch.set_default_device("meta")
    try:
        result = LAB.run(LAB.make_config({**TINY, "task": "select", "set_size": 2}))
    finally:
        torch.set_default_device(None)
    assert result.status in ("completed", "succeeded")
    assert result.metrics["valid_permutation_rate"] == 1.0


def test_the_named_sweep_fits_the_lab():
    import math

    from core.sweep.named import lab_sweeps
    from core.sweep_spec import plan_sweep
    [spec] = lab_sweeps(LAB).values()
    assert plan_sweep(LAB, spec).total == spec.seeds * math.prod(map(len, spec.vary.values()))
