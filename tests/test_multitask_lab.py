"""The Multi-task lab end to end: a tiny run, its headline figure, the skeleton's promises
(threads, devices, Stop), the command line, what it may say about its numbers (sizes equal to
numel, one loss quantity across weightings, the uncertainty weights' distance to their fixed
point), and (slow) each preset's story."""
import inspect
import json
import sys

import pytest

import application_labs as check
from cli_runner import cli, sets
from core.analysis.task_balance import fixed_point_distance
from core.labs import get_lab
from core.viz.multitask import COLORS, headline

LAB = get_lab("multitask")
TINY = {"steps": 10, "eval_every": 5, "hidden": 8, "batch": 8, "length": 10}


@pytest.fixture(scope="module")
def tiny():
    return LAB.run(LAB.make_config(TINY))


def _numel(model) -> int:
    return sum(p.numel() for p in model.parameters())


def test_runs_and_serialises(tiny):
    check.check_runs_and_serialises(tiny, LAB, TINY["steps"], COLORS)


def test_metrics(tiny):
    mt = tiny.metrics
    assert mt["parameters_by_model"]["tagging only"] * 2 == pytest.approx(
        mt["parameters_by_model"]["shared"], rel=0.1)
    assert -1 <= mt["cosine_mean"] <= 1


def test_headline_draws_empty_one_arm_and_finished(tiny):
    check.check_headline_draws_empty_one_arm_and_finished(tiny, headline)


def test_config_is_the_labs_own():
    check.check_config_is_the_labs_own(LAB, ("motif_width", "event_pct", "form", "window"))


def test_no_run_draws_from_the_global_generator():
    check.check_no_draw_from_the_global_generator(LAB, TINY)



def test_stop_returns_what_it_has():
    check.check_stop_returns_what_it_has(LAB, TINY)


def test_theory_names_tests_that_exist():
    check.check_theory_names_tests_that_exist("multitask")


def test_lab_modules_stay_small():
    check.check_modules_stay_small("multitask")


def test_cli_run_json_and_knobs():
    flags = sets({**TINY, "weighting": "uncertainty"})
    data = json.loads(cli("run", "multitask", "--json", *flags, check=True).stdout)
    assert data["config"]["weighting"] == "uncertainty" and "accuracy_tag" in data["metrics"]
    assert list(data["arrays"]["live"]) == ["shared", "tagging only", "sequence only"]
    bad = cli("run", "multitask", "--set", "tag_weight=2")
    assert bad.returncode == 2 and "tag_weight" in bad.stderr
    knobs = cli("knobs", "multitask", check=True).stdout
    assert "relatedness" in knobs and "motif_width" not in knobs


def test_parameter_counts_are_numel_for_every_compared_model(tiny):
    assert tiny.metrics["parameters_by_model"] == {
        name: _numel(model) for name, model in tiny.artifacts["models"].items()}


def test_fixed_and_uncertainty_weighting_chart_the_same_loss_quantity():
    """Same seed, data and initial weights: the first step's charted loss is L_tag + L_seq
    under both weightings (the uncertainty weights start at 1), not half of it for w = 0.5."""
    first = {}
    for weighting in ("fixed", "uncertainty"):
        r = LAB.run(LAB.make_config({**TINY, "weighting": weighting, "steps": 5,
                                     "eval_every": 5}))
        first[weighting] = next(h["loss"] for h in r.arrays["histories"]["shared"]
                                if h.get("loss") is not None)
    assert first["fixed"] == pytest.approx(first["uncertainty"], rel=1e-5)


def test_uncertainty_weights_report_their_distance_to_the_fixed_point():
    r = LAB.run(LAB.make_config({**TINY, "weighting": "uncertainty"}))
    m = r.metrics
    assert m["weights_to_fixed_point"] == fixed_point_distance(
        m["final_weights"], [m["test_losses"]["tag"], m["test_losses"]["seq"]])
    assert [row["fixed_point"] for row in m["weights_to_fixed_point"]] == pytest.approx(
        m["equilibrium_weights"])
    fixed = LAB.run(LAB.make_config({**TINY, "steps": 5}))
    assert fixed.metrics["weights_to_fixed_point"] is None


def _ran(overrides: dict):
    return LAB.run(LAB.make_config(overrides))


@pytest.mark.slow
def test_preset_related_tasks_share():
    m = _ran(LAB.preset("related tasks share").overrides).metrics
    assert m["accuracy_seq"] > m["accuracy_by_model"]["sequence only"]["seq"] + 0.2
    assert m["accuracy_by_model"]["sequence only"]["seq"] < m["majority_seq"] + 0.05


@pytest.mark.slow
def test_preset_unrelated_tasks_compete():
    m = _ran(LAB.preset("unrelated tasks compete").overrides).metrics
    steps = m["steps_to_90_by_model"]
    alone = steps["tagging only"]["tag"]
    shared = steps["shared"]["tag"]
    assert alone is not None and (shared is None or shared > alone)


@pytest.mark.slow
def test_preset_learned_loss_weights_favour_the_solved_task():
    m = _ran(LAB.preset("learned loss weights").overrides).metrics
    tag_weight, seq_weight = m["final_weights"]
    assert m["test_losses"]["tag"] < m["test_losses"]["seq"] and tag_weight > seq_weight


def test_every_preset_has_a_slow_test():
    source = inspect.getsource(sys.modules[__name__])
    for preset in LAB.presets:
        assert f'LAB.preset("{preset.name}")' in source, preset.name
