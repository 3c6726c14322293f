"""The Recurrence vs Attention lab end to end: tiny runs, its checks, its studies, the
command line, and (slow) the default demo and the presets' stories."""
import dataclasses
import json

import pytest

from cli_runner import cli, sets
from core.contract import ConfigError
from core.labs import get_lab
from core.labs.paths.studies import (COST_MODELS, COST_REPEATS, cost_total_steps,
                                     fixed_gates, gates_total_steps, measure_cost)
from core.precompute import load_cached, precompute

LAB = get_lab("paths")
TINY = {"steps": 5, "seq_len": 12, "lag": 10, "hidden": 16, "eval_every": 5, "batch": 8}


@pytest.fixture(scope="module")
def tiny():
    seen = []
    result = LAB.run(LAB.make_config(TINY), on_step=lambda s, m: seen.append(m))
    return result, seen


def test_tiny_run_reports_the_contract_metrics(tiny):
    r, seen = tiny
    m = r.metrics
    assert set(m["accuracy_by_model"]) == {"attention", "rnn", "lstm"}
    for name in ("attention", "rnn", "lstm"):
        assert len(m["grad_by_distance"][name]) == 12
        assert r.arrays["live"][name]["grad_by_distance"] == m["grad_by_distance"][name]
        assert sum(m["accuracy_by_lag"][name]["count"]) == 1024
        assert m["path_decay_rate"][name] is not None
    counts = next(iter(m["accuracy_by_lag"].values()))["count"]  # headline model
    assert m["targets_per_lag"] == [min(counts), max(counts)] and min(counts) > 0
    assert {e["series"] for e in seen} == {"attention", "rnn", "lstm"}
    assert 0 <= seen[-1]["progress"] <= 1 and seen[-1]["progress"] == pytest.approx(1.0)
    assert len(m["cell_grad_norms"]) == 12 and len(m["forget_gate_mean"]) == 12
    assert 0 <= m["pointing_attention"] <= 1
    assert m["accuracy"] == m["accuracy_by_model"]["attention"]
    assert set(r.artifacts["models"]) == {"attention", "rnn", "lstm"}
    json.loads(r.to_json())


def test_the_seeds_numbers_are_measured_against_the_closed_form(tiny):
    r, _ = tiny
    checks = {c["forget"]: c for c in r.metrics["highway_check"]}
    assert set(checks) == {0.9, 0.99}
    for p, c in checks.items():
        assert c["closed_form"] == pytest.approx(p ** 49)
        assert c["measured"] == pytest.approx(c["closed_form"], rel=1e-4)


def test_a_pinned_forget_gate_is_held_and_checked():
    r = LAB.run(LAB.make_config({**TINY, "model": "lstm", "compare_models": False,
                                 "pin_forget": 0.95}))
    assert r.metrics["forget_gate_mean"] == pytest.approx([0.95] * 12, abs=1e-5)
    assert [c["forget"] for c in r.metrics["highway_check"]] == [0.9, 0.99, 0.95]
    assert "attention" not in r.arrays and r.metrics["reach_contrast"] is None


def test_steps_zero_measures_the_untrained_models():
    r = LAB.run(LAB.make_config({**TINY, "steps": 0, "compare_models": False}))
    assert r.steps == 0 and r.arrays["live"]["attention"]["step"] == 0
    assert set(r.metrics["accuracy_by_model"]) == {"attention"}


def test_copy_task_runs_with_sinusoidal_positions():
    r = LAB.run(LAB.make_config({**TINY, "task": "copy", "lag": 4, "positions": "sinusoidal",
                                 "layers": 2, "compare_models": False}))
    assert r.metrics["accuracy_by_lag"]["attention"]["lag"] == [4.0]
    assert sum(r.metrics["accuracy_by_lag"]["attention"]["count"]) == 1024 * 8


def test_stop_request_measures_nothing_more_and_says_what_it_skipped():
    r = LAB.run(LAB.make_config({**TINY, "steps": 500}), should_stop=lambda: True)
    assert r.status == "stopped" and r.steps == 0
    assert "grad_by_distance" not in r.metrics  # Stop means stop: no measurement after it
    assert r.metrics["skipped"][0].startswith("attention: test accuracy")
    assert "lstm: not trained" in r.metrics["skipped"]


@pytest.mark.parametrize("overrides, fragment", [
    ({"lag": 40, "seq_len": 40}, "lag (40) must be below the sequence length T (40)"),
    ({"hidden": 24, "heads": 5}, "width (24) must divide evenly among the attention heads (5)"),
    ({"cost_lengths": "32,64"}, "cost_lengths"),
])
def test_config_check_names_the_knobs(overrides, fragment):
    with pytest.raises(ConfigError) as err:
        LAB.make_config(overrides)
    assert fragment in str(err.value)


def test_heads_need_not_divide_the_width_when_attention_does_not_train():
    LAB.make_config({"model": "lstm", "compare_models": False, "hidden": 24, "heads": 5})


def test_cost_study_times_every_model_and_fits_exponents():
    config = dataclasses.replace(LAB.make_config({"hidden": 16}), cost_lengths="8,16,32")
    seen = []
    r = measure_cost(config, on_step=lambda s, m: seen.append(m))
    m = r.metrics
    assert r.status == "completed" and r.steps == cost_total_steps(config)
    assert cost_total_steps(config) == 3 * len(COST_MODELS) * (1 + COST_REPEATS)
    for name in COST_MODELS:
        assert all(v > 0 for v in m["step_ms_by_T"][name]), name
        assert all(v > 0 for v in m["peak_mb_by_T"][name]), name
        assert m["time_exponent"][name] is not None
    # activation memory is counted, not timed: a recurrence's doubles with T
    rnn = m["peak_mb_by_T"]["rnn"]
    assert rnn[2] / rnn[1] == pytest.approx(2.0, rel=0.1)
    assert m["device"] and "saved" in m["memory_measure"]
    assert seen[-1]["progress"] == pytest.approx(1.0)
    json.loads(r.to_json())


def test_cost_study_stops_between_lengths_and_keeps_what_it_measured():
    config = dataclasses.replace(LAB.make_config({"hidden": 16}), cost_lengths="8,16,32")
    calls = []
    r = measure_cost(config, should_stop=lambda: len(calls.append(1) or calls) > 2)
    assert r.status == "stopped"
    assert [v is not None for v in r.metrics["step_ms_by_T"]["rnn"]] == [True, False, False]
    assert r.metrics["step_ms_by_T"]["attention"] == [None, None, None]


def test_cost_study_skips_kept_scores_that_would_not_fit(monkeypatch):
    from core.labs.paths import studies as paths_studies
    config = dataclasses.replace(LAB.make_config({"hidden": 16}), cost_lengths="8,16")
    # a cap between what T = 8 and T = 16 need stands in for 2048 on a small machine
    cap = (paths_studies.explicit_scores_mb(config, 8) + paths_studies.explicit_scores_mb(
        config, 16)) / 2
    monkeypatch.setattr(paths_studies, "EXPLICIT_CAP_MB", cap)
    r = measure_cost(config)
    explicit = r.metrics["step_ms_by_T"]["attention_explicit"]
    assert explicit[0] > 0 and explicit[1] is None
    assert r.metrics["step_ms_by_T"]["attention"][1] > 0
    assert "T = 16" in r.message and r.status == "completed"


def test_gates_study_fixed_gru_equals_its_tanh_rnn():
    config = LAB.make_config({**TINY, "steps": 10})
    r = fixed_gates(config)
    assert r.metrics["fixed_gate_max_difference"] < 1e-6
    hist = r.arrays["histories"]
    assert set(hist) == {"tanh RNN", "GRU gates fixed", "GRU gates free"}
    rnn = [h["loss"] for h in hist["tanh RNN"] if "loss" in h]
    fixed = [h["loss"] for h in hist["GRU gates fixed"] if "loss" in h]
    free = [h["loss"] for h in hist["GRU gates free"] if "loss" in h]
    assert fixed == pytest.approx(rnn, abs=1e-4) and free != pytest.approx(rnn, abs=1e-4)
    assert r.status == "completed" and r.steps == 30 == gates_total_steps(config)


def test_precompute_a_preset(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_CACHE", str(tmp_path))
    written = precompute([LAB], preset_names=["the LSTM highway"], overrides=TINY,
                         log=lambda line: None)
    assert len(written) == 1
    config = LAB.make_config({**LAB.preset("the LSTM highway").overrides, **TINY})
    assert load_cached("paths", config).metrics["steps_by_model"] == {"lstm": 5}


def test_cli_run_json_and_errors():
    out = cli("run", "paths", "--json", *sets(TINY),
              "--set", "compare_models=false", check=True)
    data = json.loads(out.stdout)
    for key in ("accuracy", "accuracy_by_lag", "grad_by_distance", "path_decay_rate"):
        assert key in data["metrics"]
    bad = cli("run", "paths", "--set", "lag=50", "--set", "seq_len=50")
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "error: lag (50) must be below the sequence length T (50)"]


def test_preset_notes_quote_their_own_settings():
    """Numbers in a preset's note are the knob values the preset sets."""
    notes = {p.name: (p.note, LAB.make_config(p.overrides)) for p in LAB.presets}
    note, config = notes["recurrence forgets"]
    assert f"up to {config.lag} steps" in note and config.model == "rnn"
    note, config = notes["the LSTM highway"]
    assert f"held at {config.pin_forget:g}" in note
    note, config = notes["copy needs positions"]
    assert f"lag of {config.lag}" in note and f"exactly {config.lag} steps" in note
    note, config = notes["but it pays T²"]
    lengths = config.cost_lengths.split(",")
    assert f"T from {lengths[0]} to {lengths[-1]}" in note


# -- slow: the default demo and the presets' stories ----------------------------------------

@pytest.mark.slow
def test_default_demo_attention_reaches_where_the_recurrences_do_not():
    r = LAB.run(LAB.make_config({}))
    m = r.metrics
    assert r.success and m["accuracy_by_model"]["attention"] >= 0.9
    assert m["steps_by_model"]["attention"] <= 100  # "a few dozen steps"
    assert m["accuracy_by_model"]["rnn"] < 0.3  # chance is 0.125
    assert m["reach_contrast"] > 3  # at least 1000 times more far gradient
    assert abs(m["path_decay_rate"]["attention"]) < 0.05 < m["path_decay_rate"]["rnn"]
    assert m["pointing_attention"] > 0.5


@pytest.mark.slow
def test_preset_recurrence_forgets_stays_near_chance_at_every_lag():
    r = LAB.run(LAB.make_config(LAB.preset("recurrence forgets").overrides))
    curve = r.metrics["accuracy_by_lag"]["rnn"]["accuracy"]
    assert max(curve) < 0.35 and r.metrics["path_decay_rate"]["rnn"] > 0.1
    g = r.metrics["grad_by_distance"]["rnn"]
    assert g[-1] < 1e-3 * g[1]  # "falls by orders of magnitude"


@pytest.mark.slow
def test_preset_lstm_highway_shrinks_the_cell_path_by_the_pinned_gate():
    r = LAB.run(LAB.make_config(LAB.preset("the LSTM highway").overrides))
    assert r.metrics["forget_gate_mean"] == pytest.approx([0.99] * 40, abs=1e-5)
    highway = r.arrays["highway"]["highway_norms"]
    assert highway == pytest.approx([highway[0] * 0.99 ** d for d in range(40)], rel=1e-4)
    check = {c["forget"]: c for c in r.metrics["highway_check"]}
    assert check[0.99]["measured"] == pytest.approx(0.99 ** 49, rel=1e-4)


@pytest.mark.slow
def test_preset_copy_attention_finds_the_position_the_recurrences_must_hold():
    r = LAB.run(LAB.make_config(LAB.preset("copy needs positions").overrides))
    m = r.metrics
    assert r.success and m["accuracy_by_model"]["attention"] >= 0.9
    assert m["steps_by_model"]["attention"] < m["steps_by_model"]["lstm"]
    assert max(m["accuracy_by_model"]["rnn"], m["accuracy_by_model"]["lstm"]) < 0.9
