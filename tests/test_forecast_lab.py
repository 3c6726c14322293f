"""The Forecast lab end to end on tiny settings: the contract, the live headline data, the
seed streams, the checks on its knobs and series, the L sweep and the command line."""
import json
import math

import numpy as np
import pytest

from cli_runner import cli
from core.analysis.error_growth import iterative_bound
from core.arm_scheduler import arms_at_once
from core.contract import ConfigError
from core.labs import get_lab
from core.labs.forecast import KINDS, check_series, lab_for_series, run
from core.labs.forecast.studies import SWEEP_L, sweep_lipschitz
from core.viz.forecast import headline

LAB = get_lab("forecast")
TINY = {"steps": 5, "horizon": 8, "context": 4, "hidden": 8, "eval_every": 5, "batch": 16}
REQUIRED = ("error_by_horizon_iterative", "error_by_horizon_direct", "growth_rate_iterative",
            "reference_growth_rate", "growth_rate_ratio", "test_windows")


def _losses(result) -> list:
    return [h["loss"] for h in result.history if "loss" in h]


@pytest.fixture(scope="module")
def logistic():
    """One tiny logistic run, watched, shared by the tests that only read it."""
    seen = []
    result = LAB.run(LAB.make_config({**TINY, "system": "logistic"}),
                     on_step=lambda s, m: seen.append(m))
    return result, seen


@pytest.mark.parametrize("system", ["linear", "lorenz", "sunspots"])
def test_tiny_run_reports_the_contract_metrics(system):
    seen = []
    r = LAB.run(LAB.make_config({**TINY, "system": system}), on_step=lambda s, m: seen.append(m))
    m = r.metrics
    for key in REQUIRED:
        assert key in m
    assert len(m["error_by_horizon_iterative"]) == 8 == len(m["error_by_horizon_direct"])
    errors = m["error_by_horizon_iterative"]
    assert m["largest_over_one_step_error_iterative"] == pytest.approx(max(errors) / errors[0])
    assert m["bounded_regime"] is (system == "linear" and LAB.make_config(
        {**TINY, "system": system}).lipschitz < 0.98)
    assert r.steps == 5 and {e["series"] for e in seen} == set(KINDS)
    assert set(r.arrays["histories"]) == set(KINDS) == set(r.artifacts["models"])
    assert 0 <= seen[-1]["progress"] <= 1
    json.loads(r.to_json())


def test_each_evaluation_sends_each_model_its_error_by_horizon(logistic):
    r, seen = logistic
    live = [e for e in seen if "live" in e]
    assert {e["series"] for e in live} == set(KINDS)
    for e in live:
        data = e["live"]
        assert data["held_out"] == "validation" and len(data["error"]) == 8
        assert data["q25"][0] <= data["error"][0] <= data["q75"][0]
        if e["series"] == "iterative":  # the theory curve from its own one-step error
            assert data["stretch"] == pytest.approx(2.0)  # e^λ = e^(ln 2)
            assert data["theory"] == pytest.approx(iterative_bound(data["error"][0], 2.0, 8))
    assert all("live" not in h for h in r.history)


def test_the_finished_headline_shows_the_reported_test_numbers(logistic):
    r, _ = logistic
    live = r.arrays["live"]
    assert live["iterative"]["held_out"] == "test"
    assert live["iterative"]["error"] == r.metrics["error_by_horizon_iterative"]
    assert live["direct"]["error"] == r.metrics["error_by_horizon_direct"]
    assert live["iterative"]["persistence"] == r.metrics["error_by_horizon_persistence"]
    assert r.arrays["theory_iterative"] == pytest.approx(live["iterative"]["theory"])


def test_headline_draws_with_no_data_one_model_and_a_finished_run(logistic):
    r, _ = logistic
    for live in ({}, {"iterative": r.arrays["live"]["iterative"]}, r.arrays["live"]):
        fig = headline(live, r.config)
        assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
        assert fig.layout.yaxis.type == "log"
    names = [t.name for t in headline(r.arrays["live"], r.config).data if t.name]
    assert sum(n.startswith("iterative") for n in names) == 1
    assert sum(n.startswith("direct") for n in names) == 1


def test_theory_legend_names_the_stretch_it_uses_and_no_direct_theory_is_drawn(logistic):
    r, _ = logistic
    assert "theory_direct" not in r.arrays and "theory" not in r.arrays["live"]["direct"]
    names = [t.name for t in headline(r.arrays["live"], r.config).data if t.name]
    assert [n for n in names if n.startswith("theory")] == [
        "theory estimate ε·Σ e^(λj), e^λ = 2"]  # not "L = 2": its Lipschitz constant is 4
    linear = {"iterative": {**r.arrays["live"]["iterative"], "stretch": 1.1}}
    assert [t.name for t in headline(linear, {"system": "linear"}).data
            if t.name and t.name.startswith("theory")] == ["theory ε·Σ L^j, L = 1.1"]


def test_growth_rate_ratio_is_the_fitted_rate_over_the_known_one(logistic):
    m = logistic[0].metrics
    if math.isfinite(m["growth_rate_iterative"]):
        assert m["growth_rate_ratio"] == pytest.approx(m["growth_rate_iterative"] / math.log(2))
    else:
        assert math.isnan(m["growth_rate_ratio"])


def test_steps_zero_measures_the_untrained_models():
    r = LAB.run(LAB.make_config({**TINY, "steps": 0}))
    assert r.steps == 0 and set(r.arrays["live"]) == set(KINDS)
    assert r.arrays["live"]["iterative"]["step"] == 0


def test_stop_before_training_returns_a_result():
    r = LAB.run(LAB.make_config(TINY), should_stop=lambda: True)
    assert r.status == "stopped" and not r.success
    assert set(r.arrays["histories"]) == {"iterative"}  # the direct model is skipped
    assert "direct: not trained" in r.metrics["skipped"]


def test_a_stop_between_the_models_keeps_the_iterative_one():
    trained = {"steps": 0}

    def note(step: int, metrics: dict) -> None:
        if metrics.get("series") == "iterative" and "loss" in metrics:
            trained["steps"] = step

    def stop_after_the_first_model() -> bool:
        return trained["steps"] >= TINY["steps"]
    with arms_at_once(1):  # the second model starts only after the first one's last step
        r = LAB.run(LAB.make_config(TINY), on_step=note, should_stop=stop_after_the_first_model)
    assert r.status == "stopped" and r.steps == TINY["steps"]
    assert list(r.artifacts["models"]) == ["iterative"]
    json.loads(r.to_json())


def test_same_seed_same_result_and_seed_changes_it():
    a = LAB.run(LAB.make_config(TINY)).metrics["error_by_horizon_iterative"]
    b = LAB.run(LAB.make_config(TINY)).metrics["error_by_horizon_iterative"]
    c = LAB.run(LAB.make_config({**TINY, "seed": 1})).metrics["error_by_horizon_iterative"]
    assert a == b and a != c


def test_sunspots_windows_too_long_for_the_series_are_refused_by_the_config():
    with pytest.raises(ConfigError, match=r"context \(40\) \+ horizon \(30\).*at most 61"):
        LAB.make_config({"system": "sunspots", "context": 40, "horizon": 30})
    LAB.make_config({"system": "sunspots", "context": 31, "horizon": 30})  # 61 fits
    LAB.make_config({"system": "linear", "context": 60, "horizon": 100})  # simulated: any


def test_the_csv_system_needs_a_series_that_fits_a_window():
    config = LAB.make_config({**TINY, "system": "csv"})
    with pytest.raises(ConfigError, match="needs a series"):
        LAB.run(config)
    with pytest.raises(ConfigError, match="uploaded column has 40 values"):
        check_series(config, np.arange(40.0))
    check_series(LAB.make_config(TINY), None)  # other systems need none


def test_an_uploaded_series_trains_through_the_lab_bound_to_it():
    series = np.sin(np.arange(200) * 0.3) + 0.01 * np.arange(200)
    bound = lab_for_series(series)
    assert bound.id == LAB.id and bound.studies == LAB.studies
    r = bound.run(LAB.make_config({**TINY, "system": "csv"}))
    assert len(r.metrics["error_by_horizon_persistence"]) == 8
    assert r.arrays["theory_iterative"] == [] and math.isnan(r.metrics["growth_rate_ratio"])
    direct = run(LAB.make_config({**TINY, "system": "csv"}), series=series)
    assert direct.metrics["error_by_horizon_iterative"] == r.metrics["error_by_horizon_iterative"]


def test_sweep_trains_one_linear_run_per_lipschitz_constant_with_nested_progress():
    seen = []
    r = sweep_lipschitz(LAB.make_config(TINY), lambda s, m: seen.append(m), run_one=run,
                        values=(0.9, 1.1))
    assert r.metrics["sweep_lipschitz"] == [0.9, 1.1]
    assert r.metrics["sweep_reference_rate"] == pytest.approx([math.log(0.9), math.log(1.1)])
    assert r.status in ("completed", "succeeded") and r.steps == 2 * TINY["steps"]
    assert r.success == (r.status == "succeeded") == (r.metrics["sweep_regimes_as_predicted"] == 2)
    assert {e["series"] for e in seen} == {f"L={L} · {k}" for L in ("0.9", "1.1") for k in KINDS}
    progress = [e["progress"] for e in seen]
    assert progress == sorted(progress) and progress[-1] == pytest.approx(1.0)
    assert set(r.arrays["histories"]) == {e["series"] for e in seen}
    json.loads(r.to_json())
    study = LAB.study("sweep_l")
    assert study.total_steps(LAB.make_config(TINY)) == 2 * TINY["steps"] * len(SWEEP_L)


def test_cli_reports_the_required_metrics():
    out = cli("run", "forecast", "--set", "steps=5", "--set", "system=logistic", "--set", "r=4",
              "--set", "lipschitz=1.1", "--set", "horizon=6", "--set", "seed=1", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for key in REQUIRED:
        assert key in data["metrics"]
    assert len(data["metrics"]["error_by_horizon_iterative"]) == 6
    assert data["metrics"]["reference_growth_rate"] == pytest.approx(math.log(2))


@pytest.mark.parametrize("sets, words", [
    (["system=csv"], "system csv needs a series"),
    (["system=sunspots", "context=60", "horizon=30"], "keep context + horizon at most 61"),
    (["steps=7"], "steps: 7 is not a multiple of 5"),
])
def test_cli_refuses_bad_settings_with_one_line_and_exit_2(sets, words):
    out = cli("run", "forecast", *sum((["--set", s] for s in sets), []))
    assert out.returncode == 2 and words in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
