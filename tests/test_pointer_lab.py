"""The pointer lab end to end: tiny runs, the command line, typed input, figures, the default."""
import json
import subprocess
import sys

import pytest
import torch

from core.contract import ConfigError, Result
from core.labs import get_lab
from core.labs.pointer import decode_typed
from core.viz import pointer as viz

LAB = get_lab("pointer")
REQUIRED = ("accuracy", "token_accuracy", "accuracy_by_length", "valid_permutation_rate",
            "zeroed_decoder_loss", "t_log_t")
TINY = {"steps": 5, "eval_every": 5, "batch": 16, "hidden": 8, "min_len": 3, "max_len": 5,
        "test_max_len": 7}


def _figures(result):
    figs = [viz.accuracy_by_length(result), viz.uniform_loss_bars(result),
            viz.training_curves(result)]
    if result.config["task"] == "select":
        figs.append(viz.set_loss_bars(result))
    for example in result.arrays["probes"].values():
        figs += [viz.distribution_heatmap(example), viz.permutation_arrows(example)]
        assert len(viz.permutation_table(example)) == len(example["emitted"])
    return figs


@pytest.mark.parametrize("task", ["sort", "identity", "select"])
def test_tiny_run_has_every_metric_and_figure(task):
    result = LAB.run(LAB.make_config({**TINY, "task": task, "set_size": 2}))
    m = result.metrics
    for key in REQUIRED:
        assert key in m
    assert set(m["accuracy_by_length"]) == set(range(3, 8))
    assert set(m["comparison"]) == ({"pointer", "vocab"} if task != "select" else
                                    {"pointer · hungarian", "vocab · hungarian",
                                     "pointer · fixed"})
    assert m["valid_permutation_rate"] == 1.0  # pointer with masking, even untrained
    assert m["zeroed_decoder_loss"] == pytest.approx(m["t_log_t"], rel=1e-5)
    # The vocab decoder has 5 classes: inputs of 6 and 7 need positions it cannot name.
    if task != "select":
        vocab = m["comparison"]["vocab"]
        assert vocab["accuracy_by_length"][6] == 0.0 and vocab["accuracy_by_length"][7] == 0.0
    restored = Result.from_dict(json.loads(result.to_json()))
    for fig in _figures(result) + _figures(restored):
        assert fig.layout.xaxis.title.text


def test_stop_request_returns_a_result():
    result = LAB.run(LAB.make_config({**TINY, "steps": 50}), should_stop=lambda: True)
    assert result.status == "stopped" and result.steps == 0
    assert set(result.metrics["comparison"]) == {"pointer"}


def test_bad_length_range_is_a_config_error():
    with pytest.raises(ConfigError, match="shortest"):
        LAB.run(LAB.make_config({**TINY, "min_len": 6, "max_len": 4}))


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


def test_cli_prints_required_metrics():
    out = subprocess.run([sys.executable, "-m", "core", "run", "pointer", "--set", "steps=5",
                          "--set", "hidden=8", "--json"], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for key in REQUIRED:
        assert key in data["metrics"]
    assert data["config"]["task"] == "sort" and data["config"]["decoder"] == "pointer"


@pytest.mark.slow
def test_default_sort_demo_succeeds():
    config = LAB.Config()
    assert (config.task, config.decoder, config.masking) == ("sort", "pointer", True)
    result = LAB.run(config)
    m = result.metrics
    assert result.success
    assert m["accuracy"] >= 0.9
    assert m["valid_permutation_rate"] == 1.0  # every decoded output at every length
    assert m["zeroed_decoder_loss"] == pytest.approx(m["t_log_t"], rel=1e-5)
    vocab = m["comparison"]["vocab"]
    assert vocab["accuracy"] < m["accuracy"]
    assert all(vocab["accuracy_by_length"][n] == 0.0 for n in range(11, 16))
    assert m["trained_loss_at_T"] < vocab["trained_loss_at_T"] < m["t_log_t"]


def test_runs_with_the_default_device_set_to_meta():
    """Every tensor is created on an explicit device: with the default device set to meta,
    one that is not would fail to mix with the CPU model."""
    torch.set_default_device("meta")
    try:
        result = LAB.run(LAB.make_config({**TINY, "task": "select", "set_size": 2}))
    finally:
        torch.set_default_device(None)
    assert result.status == "completed"
    assert result.metrics["valid_permutation_rate"] == 1.0
