"""The Gradient Flow lab end to end: tiny runs, the sweep, and (slow) the default demo."""
import json
import math

import pytest

from cli_runner import cli, sets
from core.labs import get_lab
from core.labs.gradients import sweep_tbptt

LAB = get_lab("gradients")
TINY = {"steps": 5, "seq_len": 12, "lag": 12, "hidden": 8, "eval_every": 5, "batch": 8}


def test_tiny_run_reports_the_contract_metrics():
    seen = []
    r = LAB.run(LAB.make_config(TINY), on_step=lambda s, m: seen.append(m))
    m = r.metrics
    assert len(m["grad_norms"]) == 12 and len(m["input_grad_norms"]) == 12
    assert m["grad_ratio_first_last"] == pytest.approx(m["grad_norms"][0] / m["grad_norms"][-1])
    assert set(m["comparison"]) == {"lstm", "rnn", "gru"}
    assert {e["series"] for e in seen} == {"lstm", "rnn", "gru"}
    assert 0 <= seen[-1]["progress"] <= 1
    json.loads(r.to_json())


def test_steps_zero_measures_the_untrained_model():
    r = LAB.run(LAB.make_config({**TINY, "steps": 0, "compare_cells": False}))
    assert r.steps == 0 and len(r.arrays["grad_heatmap"]) == 1
    assert r.arrays["live"]["lstm"]["step"] == 0  # the headline figure has its data


def test_same_seed_same_result_and_seed_changes_it():
    cfg = {**TINY, "compare_cells": False}
    a = LAB.run(LAB.make_config(cfg)).metrics["grad_norms"]
    b = LAB.run(LAB.make_config(cfg)).metrics["grad_norms"]
    c = LAB.run(LAB.make_config({**cfg, "seed": 1})).metrics["grad_norms"]
    assert a == b and a != c


def test_linear_mode_draws_theory_matching_the_measurement():
    r = LAB.run(LAB.make_config({**TINY, "cell": "linear", "a": 0.7, "compare_cells": False}))
    measured, theory = r.metrics["grad_norms"], r.arrays["theory_grad_norms"]
    assert measured == pytest.approx(theory, rel=1e-3)


def test_stop_request_measures_nothing_more_and_says_what_it_skipped():
    r = LAB.run(LAB.make_config({**TINY, "steps": 500}), should_stop=lambda: True)
    assert r.status == "stopped" and r.steps == 0
    assert "grad_norms" not in r.metrics  # Stop means stop: no measurement after it
    assert r.metrics["skipped"][0] == "lstm: test accuracy and spectral radii"
    assert "the information horizon" in r.metrics["skipped"]


def test_tbptt_sweep_reports_accuracy_per_window():
    r = sweep_tbptt(LAB.make_config({**TINY, "compare_cells": False}), windows=(3,))
    assert set(r.metrics["accuracy_by_k"]) == {"K=3", "full"}
    assert r.status == "completed" and r.steps == 2 * TINY["steps"]
    study = LAB.study("tbptt")
    assert study.total_steps(LAB.make_config(TINY)) == TINY["steps"] * 3  # K=5, 10, full


def test_cli_run_json_and_errors():
    out = cli("run", "gradients", "--json",
              *sets(TINY), check=True)
    data = json.loads(out.stdout)
    for key in ("lab", "config", "metrics", "success", "wall_s"):
        assert key in data
    for key in ("accuracy", "final_loss", "grad_norms", "grad_ratio_first_last"):
        assert key in data["metrics"]
    bad = cli("run", "gradients", "--set", "hiden=3")
    assert bad.returncode == 2 and "unknown knob 'hiden'" in bad.stderr
    bad = cli("run", "gradients", "--set", "supervision=some")
    assert bad.returncode == 2 and "supervision" in bad.stderr


@pytest.mark.slow
def test_default_demo_lstm_keeps_gradient_where_tanh_rnn_loses_it():
    r = LAB.run(LAB.make_config({}))
    comp = r.metrics["comparison"]
    assert r.success and comp["lstm"]["accuracy"] >= 0.9
    assert comp["rnn"]["accuracy"] < 0.5  # chance is 0.25
    assert comp["lstm"]["grad_ratio_first_last"] > 1e3 * comp["rnn"]["grad_ratio_first_last"]


def test_horizon_fit_recovers_the_geometric_lag_distribution():
    """With lags geometric of mean m, P(lag = d) decays as (1 - 1/m)^d, and so does the
    information the input at lag d carries: the fitted rate should be -ln(1 - 1/m)."""
    r = LAB.run(LAB.make_config({"lag": 8, "lag_spread": "geometric", "seq_len": 40,
                                 "steps": 0, "compare_cells": False}))
    expected = -math.log(1 - 1 / 8)
    assert r.metrics["mi_decay_rate"] == pytest.approx(expected, rel=0.15)
    k = r.metrics["suggested_tbptt_k"]
    assert k == math.ceil(math.log(1 / 0.05) / r.metrics["mi_decay_rate"])


def test_cli_runs_a_declared_study_and_names_an_unknown_one():
    flags = sets(TINY)
    out = cli("study", "gradients", "tbptt", "--json", *flags, check=True)
    data = json.loads(out.stdout)
    assert set(data["metrics"]["accuracy_by_k"]) == {"K=5", "K=10", "full"}
    bad = cli("study", "gradients", "horizon")
    assert bad.returncode == 2 and "its studies: tbptt" in bad.stderr
