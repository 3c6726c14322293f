"""Exports: metrics CSV, the reproducing command line, safetensors weights in and out."""
import csv
import io
import shlex
import subprocess
import sys
import json

import pytest
import torch

from core.contract import Result
from core.export import command_line, load_weights, metrics_csv, trained_modules, weights_bytes
from core.labs import get_lab
from core.models.recurrent import RecurrentClassifier


def test_metrics_csv_flattens_lists_and_mappings():
    r = Result("x", {}, {"acc": 0.5, "curve": [1.0, 2.0], "by_len": {"4": 0.9}}, True,
               "completed", 1, 0.0)
    rows = list(csv.reader(io.StringIO(metrics_csv(r))))
    assert rows[0] == ["metric", "value"]
    assert ["curve[1]", "2.0"] in rows and ["by_len.4", "0.9"] in rows and ["acc", "0.5"] in rows


def test_command_line_reproduces_the_config():
    lab = get_lab("gradients")
    config = lab.make_config({"cell": "gru", "steps": 5, "seq_len": 10, "lag": 10,
                              "compare_cells": False, "seed": 4})
    cmd = command_line(lab, config)
    assert "--set cell=gru" in cmd and "--set compare_cells=false" in cmd
    assert cmd.startswith("python3 -m core run gradients")  # the name scripts/ and README use
    out = subprocess.run([sys.executable, *shlex.split(cmd)[1:]], capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout)["config"] == vars(config)


def model(hidden=8):
    torch.manual_seed(0)
    return RecurrentClassifier("lstm", 3, hidden, 2)


def test_weights_round_trip_without_pickle():
    source, target = {"model": model()}, {"model": model()}
    with torch.no_grad():
        for p in target["model"].parameters():
            p.zero_()
    assert load_weights(target, weights_bytes(source)) == len(source["model"].state_dict())
    for a, b in zip(source["model"].parameters(), target["model"].parameters()):
        assert torch.equal(a, b)


def test_a_checkpoint_of_another_shape_is_refused_with_a_message_and_nothing_changes():
    target = {"model": model(hidden=8)}
    before = [p.clone() for p in target["model"].parameters()]
    with pytest.raises(ValueError, match="does not fit the current configuration.*shape"):
        load_weights(target, weights_bytes({"model": model(hidden=16)}))
    assert all(torch.equal(a, b) for a, b in zip(before, target["model"].parameters()))


@pytest.mark.parametrize("data", [b"", b"not a checkpoint", b"\x80\x04\x95pickle", b"\xff" * 64])
def test_garbage_is_refused_as_not_safetensors(data):
    with pytest.raises(ValueError, match="not a safetensors file|does not fit"):
        load_weights({"model": model()}, data)


def test_trained_modules_finds_models_in_artifacts():
    r = Result("x", {}, {}, True, "completed", 1, 0.0,
               artifacts={"model": model(), "models": {"a": model()}, "task": object()})
    assert set(trained_modules(r)) == {"model", "models.a"}
