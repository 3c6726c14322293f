"""The stack lab end to end: a tiny run, the command line, and (slow) the default demo."""
import json
import subprocess
import sys

import pytest

from core.contract import Result
from core.labs import get_lab

REQUIRED = ("accuracy", "accuracy_long", "depth_correlation")


def tiny(**over):
    lab = get_lab("stack")
    settings = {"steps": 6, "hidden": 8, "train_len": 6, "test_len": 12, "eval_every": 3,
                "batch": 16, **over}
    return lab.run(lab.make_config(settings))


def test_tiny_run_has_every_metric_and_figure_array():
    result = tiny()
    assert result.steps == 6 and result.status == "completed"
    for key in REQUIRED:
        assert key in result.metrics
    assert set(result.metrics["comparison"]) == {"stack", "lstm", "rnn"}
    assert result.metrics["train_lengths"] == [2, 6] and result.metrics["test_lengths"] == [8, 12]
    assert result.arrays["lengths"] == [2, 4, 6, 8, 10, 12]
    assert all(len(v) == 6 for v in result.arrays["accuracy_by_length"].values())
    traces = result.arrays["traces"]
    assert len(traces[0]["text"]) == 12  # the first example has the longest test length
    for t in traces:
        assert len(t["actions"]) == len(t["text"]) == len(t["true_depth"])
        assert all(abs(sum(a) - 1) < 1e-5 for a in t["actions"])
    assert -1.0 <= result.metrics["depth_correlation"] <= 1.0
    # The JSON form round-trips and keeps the required keys.
    again = Result.from_dict(json.loads(result.to_json()))
    assert set(REQUIRED) <= set(again.metrics)
    assert set(result.artifacts["models"]) == {"stack", "lstm", "rnn"}


def test_lstm_alone_has_no_stack_trace():
    result = tiny(model="lstm", compare=False, task="anbn", form="recognition")
    assert set(result.metrics["comparison"]) == {"lstm"}
    assert result.metrics["depth_correlation"] is None and "traces" not in result.arrays


def test_several_initialisations_and_odd_lengths():
    lab = get_lab("stack")
    seen = []
    config = lab.make_config({"steps": 6, "hidden": 8, "train_len": 7, "test_len": 13,
                              "eval_every": 3, "batch": 16, "tries": 2})
    result = lab.run(config, on_step=lambda step, m: seen.append((m["series"], m["progress"])))
    assert result.metrics["initialisations_tried"] == {"stack": 2, "lstm": 2, "rnn": 2}
    assert {s for s, _ in seen} == {"stack #1", "stack #2", "lstm #1", "lstm #2", "rnn #1",
                                    "rnn #2"}
    progress = [p for _, p in seen]
    assert progress == sorted(progress) and abs(progress[-1] - 1.0) < 1e-9
    # Odd lengths are rounded down to even ones: a balanced string has even length.
    assert result.metrics["train_lengths"] == [2, 6] and result.metrics["test_lengths"] == [8, 12]


def test_recognition_form_on_dyck1_runs_and_traces():
    result = tiny(task="dyck1", form="recognition", compare=False)
    assert result.arrays["state_names"] == ["unbalanced", "balanced"]
    assert "predicted_balanced_prob" in result.arrays["traces"][0]


def test_command_line_prints_the_required_metrics():
    out = subprocess.run([sys.executable, "-m", "core", "run", "stack", "--set", "steps=5",
                          "--set", "task=dyck1", "--set", "model=stack", "--set", "hidden=8",
                          "--set", "seed=1", "--json"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["lab"] == "stack" and data["steps"] == 5
    for key in REQUIRED:
        assert key in data["metrics"]
    bad = subprocess.run([sys.executable, "-m", "core", "run", "stack", "--set", "model=gru"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "model" in (bad.stderr + bad.stdout)


@pytest.mark.slow
def test_default_demo_stack_generalises_and_lstm_falls():
    lab = get_lab("stack")
    result = lab.run(lab.make_config({}))
    m = result.metrics
    assert result.success
    assert m["accuracy"] >= 0.99 and m["accuracy_long"] >= 0.95
    lstm = m["comparison"]["lstm"]
    assert lstm["accuracy_long"] <= m["accuracy_long"] - 0.2  # the LSTM falls beyond training
    assert lstm["accuracy_long"] < lstm["accuracy"] - 0.1
    # The trace pushes on openers and pops on closers, and the stack height is the depth.
    assert m["stack_actions"]["opener"]["push"] > 0.9
    assert m["stack_actions"]["closer"]["pop"] > 0.9
    assert m["depth_correlation"] > 0.95
