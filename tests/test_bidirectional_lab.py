"""The Bidirectional lab end to end: tiny runs, the command line, the mask sweep, and (slow)
the issue's claims on the default demo and on a causal target with p = 1."""
import json
import subprocess
import sys

import pytest

from core.labs import get_lab
from core.labs.bidirectional import run_mask_sweep

LAB = get_lab("bidirectional")
TINY = {"steps": 5, "hidden": 8, "seq_len": 6, "eval_every": 5, "batch": 8}


def test_tiny_run_trains_both_directions_and_reports_the_metrics():
    seen = []
    r = LAB.run(LAB.make_config(TINY), on_step=lambda s, m: seen.append(m))
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
    json.loads(r.to_json())


@pytest.mark.parametrize("task", ["causal", "disambiguation", "palindrome", "first_token"])
def test_every_task_runs(task):
    r = LAB.run(LAB.make_config({**TINY, "task": task, "future_mask_p": 0.5, "cell": "lstm",
                                 "symbols": 2}))
    assert 0.0 <= r.metrics["accuracy"] <= 1.0
    assert ("causal_bound" in r.metrics) == (task == "disambiguation")
    json.loads(r.to_json())


def test_out_of_range_offset_is_capped_with_a_message():
    r = LAB.run(LAB.make_config({**TINY, "offset": 20, "compare": False}))
    assert "capped" in r.message


def test_stop_request_ends_the_run_early():
    r = LAB.run(LAB.make_config({**TINY, "steps": 200}), should_stop=lambda: True)
    assert r.status == "stopped" and r.steps == 0


def test_mask_sweep_reports_one_point_per_p():
    r = run_mask_sweep(LAB.make_config({**TINY, "steps": 3}), ps=(0.0, 1.0))
    assert r.metrics["p"] == [0.0, 1.0] and len(r.metrics["backward_share"]) == 2
    json.loads(r.to_json())


def test_command_line_reports_the_required_metric_keys():
    out = subprocess.run([sys.executable, "-m", "core", "run", "bidirectional", "--set",
                          "steps=5", "--set", "task=lookahead", "--set", "direction=bi",
                          "--set", "future_mask_p=0.5", "--set", "seed=1", "--json"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout)["metrics"]
    assert {"accuracy", "backward_share", "causal_bound"} <= set(metrics)


@pytest.mark.slow
def test_default_demo_uni_sits_at_the_bound_while_bi_solves_lookahead():
    r = LAB.run(LAB.make_config({}))
    m = r.metrics
    assert r.success
    assert m["accuracy_bi"] >= 0.9
    assert abs(m["accuracy_uni"] - m["causal_bound"]) < 0.05
    assert m["by_direction"]["bi"]["accuracy_future_hidden"] < m["causal_bound"] + 0.05
    # the backward pass reaches x_1 in one step, the forward pass through T-1
    bi = m["by_direction"]["bi"]
    assert bi["grad_x1_backward"] > 10 * bi["grad_x1_forward"]


@pytest.mark.slow
def test_causal_target_with_full_masking_shuts_the_backward_pathway():
    r = LAB.run(LAB.make_config({"task": "causal", "future_mask_p": 1.0, "compare": False}))
    assert r.success
    assert r.metrics["backward_share"] < 0.05
    assert r.metrics["backward_share_unmasked"] < 0.05
