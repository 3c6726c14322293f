"""The Rare Events lab end to end: a tiny run comparing losses and one comparing densities,
their headline figures, the skeleton's promises (threads, devices, Stop), the command line,
and (slow) each preset's story."""
import inspect
import json
import sys

import pytest

import application_labs as check
from cli_runner import cli, sets
from core.contract import ConfigError
from core.labs import get_lab
from core.verdict import number
from core.viz.rare_events import COLORS, headline

LAB = get_lab("events")
TINY = {"steps": 10, "eval_every": 5, "hidden": 8, "batch": 8, "stream_len": 40,
        "label_every": 10}


@pytest.fixture(scope="module")
def tiny():
    return LAB.run(LAB.make_config(TINY))


@pytest.fixture(scope="module")
def densities():
    return LAB.run(LAB.make_config({**TINY, "compare": "densities"}))


def test_runs_and_serialises(tiny, densities):
    for r in (tiny, densities):
        check.check_runs_and_serialises(r, LAB, TINY["steps"], COLORS)


def test_metrics(tiny):
    ev = tiny.metrics
    assert ev["all_negative_pr_auc"] == ev["test_event_rate"]
    assert ev["all_negative_accuracy"] == pytest.approx(1 - ev["test_event_rate"])
    assert set(ev["score_by_model"]) == {"focal", "plain", "weighted"}


def test_densities_train_one_model_per_density(densities):
    r = densities
    assert list(r.arrays["live"]) == ["every step", "every k steps", "end only"]
    ratio = r.metrics["early_late_gradient_by_model"]
    assert ratio["end only"] < ratio["every step"]  # the end label barely reaches step 1


def test_comparing_densities_the_verdict_names_the_detection_auc(densities):
    said = LAB.verdict(densities)
    assert said.startswith("Criterion: event-detection ROC AUC of at least 0.80")
    for name, score in densities.metrics["score_by_model"].items():
        assert f"{name} {number(score)}" in said


def test_headline_draws_empty_one_arm_and_finished(tiny, densities):
    for r in (tiny, densities):
        check.check_headline_draws_empty_one_arm_and_finished(r, headline)


def test_config_checks_name_the_knobs():
    with pytest.raises(ConfigError, match="label_every"):
        LAB.make_config({"label_every": 100, "stream_len": 50})
    check.check_config_is_the_labs_own(LAB, ("motif_width", "relatedness", "form", "window"))


@pytest.mark.parametrize("compare", ["losses", "densities"])
def test_no_run_draws_from_the_global_generator(compare):
    check.check_no_draw_from_the_global_generator(LAB, {**TINY, "compare": compare})



def test_stop_returns_what_it_has():
    check.check_stop_returns_what_it_has(LAB, TINY)


def test_theory_names_tests_that_exist():
    check.check_theory_names_tests_that_exist("events")


def test_lab_modules_stay_small():
    check.check_modules_stay_small("events")


def test_cli_run_json_and_errors():
    flags = sets({**TINY, "loss": "plain"})
    data = json.loads(cli("run", "events", "--json", *flags, check=True).stdout)
    assert data["config"]["loss"] == "plain" and "pr_auc" in data["metrics"]
    assert list(data["arrays"]["live"]) == ["plain", "weighted", "focal"]
    bad = cli("run", "events", "--set", "label_every=200")
    assert bad.returncode == 2 and "label_every" in bad.stderr
    knobs = cli("knobs", "events", check=True).stdout
    assert "event_pct" in knobs and "motif_width" not in knobs


def test_named_sweep_plans_and_names_a_metric_the_lab_reports(tiny):
    from core.sweep import lab_sweeps
    from core.sweep.point import scalar_metrics
    from core.sweep_spec import plan_sweep
    sweeps = lab_sweeps(LAB)
    assert list(sweeps) == ["plain loss recall vs event rate"]
    for spec in sweeps.values():
        assert plan_sweep(LAB, spec).total == spec.seeds * 4
        assert spec.metric in scalar_metrics(tiny.metrics), spec.name


def _ran(overrides: dict):
    return LAB.run(LAB.make_config(overrides))


@pytest.mark.slow
def test_preset_rare_events_plain_loss_says_never():
    m = _ran(LAB.preset("rare events").overrides).metrics
    assert 1 / 250 < m["test_event_rate"] < 1 / 170  # "about one step in 200"
    assert m["recall_by_model"]["plain"] < 0.05
    assert m["accuracy_by_model"]["plain"] >= m["all_negative_accuracy"] - 0.001
    assert m["recall_by_model"]["weighted"] > 0.8
    for name in ("weighted", "focal"):
        assert m["score_by_model"][name] > m["score_by_model"]["plain"]


@pytest.mark.slow
def test_preset_supervision_density_end_only_stalls():
    m = _ran(LAB.preset("supervision density").overrides).metrics
    assert m["score_by_model"]["every step"] > 0.8
    assert m["score_by_model"]["end only"] < 0.65
    assert m["early_late_gradient_by_model"]["end only"] < 1e-3


def test_every_preset_has_a_slow_test():
    source = inspect.getsource(sys.modules[__name__])
    for preset in LAB.presets:
        assert f'LAB.preset("{preset.name}")' in source, preset.name
