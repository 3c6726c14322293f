"""What the Recurrence vs Attention lab says about its numbers: every compared model's size
and steps, matched parameters, the LSTM's full cell-state gradient (not the identity), what
accuracy against lag shows, and the cost study's spread and T^2 verdicts."""
import dataclasses

import pytest

from core.analysis.lag_reading import read_accuracy_by_lag
from core.labs import get_lab
from core.labs.paths.studies import COST_MODELS, measure_cost
from core.viz import paths as viz

LAB = get_lab("paths")
TINY = {"steps": 5, "seq_len": 12, "lag": 10, "hidden": 16, "eval_every": 5, "batch": 8}


@pytest.fixture(scope="module")
def tiny():
    return LAB.run(LAB.make_config(TINY))


def test_every_compared_model_shows_its_parameter_count_and_steps(tiny):
    m = tiny.metrics
    models = tiny.artifacts["models"]
    assert m["parameters_by_model"] == {n: sum(p.numel() for p in model.parameters())
                                        for n, model in models.items()}
    assert len(set(m["parameters_by_model"].values())) == 3  # unequal at one width
    names = [t.name for t in viz.accuracy_by_lag_figure(m, "t").data]
    for name in models:
        count, steps = m["parameters_by_model"][name], m["steps_by_model"][name]
        assert any(f"{count:,} params" in n and f"{steps:,} steps" in n for n in names)
    live = viz.headline(tiny.arrays["live"], tiny.config)
    # every model's curve (a legend-only entry names the lag's dotted line)
    assert all("params" in t.name for t in live.data if t.name and t.x != (None,))


def test_matched_parameters_brings_the_counts_together():
    r = LAB.run(LAB.make_config({**TINY, "match_parameters": True}))
    counts = r.metrics["parameters_by_model"]
    target = counts["attention"]
    assert r.metrics["width_by_model"]["attention"] == TINY["hidden"]
    assert r.metrics["width_by_model"]["rnn"] > TINY["hidden"]
    for name, count in counts.items():
        assert abs(count - target) / target < 0.15, (name, count, target)
    unmatched = LAB.run(LAB.make_config({**TINY, "steps": 0}))
    spread = max(unmatched.metrics["parameters_by_model"].values()) / \
        min(unmatched.metrics["parameters_by_model"].values())
    assert max(counts.values()) / min(counts.values()) < spread


def test_the_highway_view_measures_the_full_gradient_and_labels_the_identity(tiny):
    m = tiny.metrics
    assert len(m["cell_grad_ratio"]) == 12 and m["cell_grad_ratio"][0] == pytest.approx(1.0)
    assert m["replay_fused_difference"] < 1e-4  # the replay is the fused model's step
    assert m["highway_distances"] == [1, 10, 11]
    names = [t.name for t in viz.highway_figure(tiny).data]
    assert not any("closed form" in n for n in names)
    assert sum("identity" in n for n in names) == 1


def test_accuracy_by_lag_is_read_per_model(tiny):
    m = tiny.metrics
    assert set(m["accuracy_reading"]) == {"attention", "rnn", "lstm"}
    for name, reading in m["accuracy_reading"].items():
        assert reading == read_accuracy_by_lag(m["accuracy_by_lag"][name], 1 / 8)


def test_cost_study_keeps_every_timing_and_says_what_pays_t_squared():
    config = dataclasses.replace(LAB.make_config({"hidden": 16}), cost_lengths="8,16,32")
    m = measure_cost(config).metrics
    for name in COST_MODELS:
        assert [len(r) for r in m["step_ms_runs_by_T"][name]] and all(
            min(r) == ms for r, ms in zip(m["step_ms_runs_by_T"][name], m["step_ms_by_T"][name]))
        assert set(m["pays_quadratic"][name]) == {"time", "memory"}
        spread = m["time_exponent_range"][name]
        assert spread is None or spread[0] <= spread[1]
    # the kept T x T scores are counted as saved memory that grows faster than T
    assert m["memory_exponent"]["attention_explicit"] > m["memory_exponent"]["rnn"]


def test_the_short_lags_note_quotes_its_own_setting():
    preset = LAB.preset("short lags")
    config = LAB.make_config(preset.overrides)
    assert f"lags up to {config.lag} only" in preset.note and config.model == "rnn"
    assert "**short lags**" in LAB.preset("recurrence forgets").note


# -- slow: the presets' stories -------------------------------------------------------------

@pytest.mark.slow
def test_preset_lstm_highway_full_gradient_does_not_shrink_like_the_pinned_gate():
    """The preset's note: along the cell path alone 0.99 a step (an identity), while the
    full dL/dc_t of the trained LSTM does not shrink like 0.99^d."""
    r = LAB.run(LAB.make_config(LAB.preset("the LSTM highway").overrides))
    m = r.metrics
    assert m["cell_path_ratio"] == pytest.approx([0.99 ** d for d in range(40)], rel=1e-4)
    assert m["cell_grad_ratio"][10] > 0.99 ** 10 and m["cell_grad_ratio"][39] > 0.99 ** 39


@pytest.mark.slow
def test_preset_recurrence_forgets_is_at_chance_even_at_the_shortest_lags():
    """The note: near chance at the short lags too, so the curve is not a decay with
    distance (the page reads each group against the binomial band)."""
    r = LAB.run(LAB.make_config(LAB.preset("recurrence forgets").overrides))
    reading = r.metrics["accuracy_reading"]["rnn"]
    assert reading["kind"] != "falls with lag" and reading["short"] < 0.35


@pytest.mark.slow
def test_preset_short_lags_the_tanh_rnn_learns_them():
    r = LAB.run(LAB.make_config(LAB.preset("short lags").overrides))
    assert r.metrics["accuracy_by_model"]["rnn"] >= 0.9
    assert r.metrics["accuracy_reading"]["rnn"]["kind"] == "above chance everywhere"
