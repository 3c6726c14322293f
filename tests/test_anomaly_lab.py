"""The Anomaly Detection lab end to end: a tiny run, its headline figure, the skeleton's
promises (threads, devices, Stop), the command line, what it may say about its numbers (sizes
equal to numel, the held-out false-alarm rate), and (slow) its preset's story."""
import inspect
import json
import sys

import pytest

import application_labs as check
from cli_runner import cli, sets
from core.analysis.reconstruction_scores import step_scores
from core.device import stream
from core.labs import get_lab
from core.tasks.anomalies import probe_series
from core.viz.anomaly import COLORS, headline

LAB = get_lab("anomaly")
TINY = {"steps": 10, "eval_every": 5, "hidden": 8, "batch": 8, "window": 12}


@pytest.fixture(scope="module")
def tiny():
    return LAB.run(LAB.make_config(TINY))


def _numel(model) -> int:
    return sum(p.numel() for p in model.parameters())


def test_runs_and_serialises(tiny):
    check.check_runs_and_serialises(tiny, LAB, TINY["steps"], COLORS)


def test_metrics(tiny):
    an = tiny.metrics
    assert set(an["roc_auc_by_model"]) == {"repeat", "sequence", "autoregressive"}
    assert set(an["caught_by_kind"]) == {"spike", "shift", "noise", "stuck"}


def test_headline_draws_empty_one_arm_and_finished(tiny):
    check.check_headline_draws_empty_one_arm_and_finished(tiny, headline)


def test_config_is_the_labs_own():
    check.check_config_is_the_labs_own(LAB, ("motif_width", "relatedness", "event_pct"))


def test_no_run_draws_from_the_global_generator():
    check.check_no_draw_from_the_global_generator(LAB, TINY)



def test_stop_returns_what_it_has():
    check.check_stop_returns_what_it_has(LAB, TINY)


def test_theory_names_tests_that_exist():
    check.check_theory_names_tests_that_exist("anomaly")


def test_lab_modules_stay_small():
    check.check_modules_stay_small("anomaly")


def test_cli_run_json_and_errors():
    flags = sets({**TINY, "compare_forms": "false"})
    out = cli("run", "anomaly", "--json", *flags, check=True)
    data = json.loads(out.stdout)
    assert data["config"]["form"] == "repeat" and "roc_auc" in data["metrics"]
    assert list(data["arrays"]["live"]) == ["repeat"]
    bad = cli("run", "anomaly", "--set", "form=lstm")
    assert bad.returncode == 2 and "form" in bad.stderr
    knobs = cli("knobs", "anomaly", check=True).stdout
    assert "anomaly_size" in knobs and "event_pct" not in knobs


def test_parameter_counts_are_numel_for_every_compared_model(tiny):
    assert tiny.metrics["parameters_by_model"] == {
        name: _numel(model) for name, model in tiny.artifacts["models"].items()}


def test_the_false_alarm_rate_is_measured_on_steps_the_threshold_never_saw(tiny):
    """Recomputed here from the trained model on the test probes: their normal steps at the
    threshold fitted on clean validation series. The fitted 1% is the target only."""
    r = tiny
    m = r.metrics
    model = r.artifacts["models"][r.config["form"]]
    probes = probe_series(m["test_probes"], m["probe_length"], r.config["anomalies"],
                          r.config["anomaly_size"], stream(r.config["seed"], "test"))
    scores = step_scores(model, probes.x, r.config["window"])
    normal = scores[probes.labels < 0.5]
    assert m["false_alarm_rate"] == pytest.approx(float((normal >= m["threshold"]).float().mean()))
    assert m["false_alarm_target"] == pytest.approx(0.01)
    assert m["false_alarm_fitted"] == pytest.approx(0.01, abs=0.002)
    assert 0 <= m["false_alarm_clean_held_out"] <= 1
    assert m["false_alarm_rate"] != m["false_alarm_fitted"]


def _ran(overrides: dict):
    return LAB.run(LAB.make_config(overrides))


@pytest.mark.slow
def test_preset_anomalies_need_the_bottleneck():
    m = _ran(LAB.preset("anomalies by reconstruction").overrides).metrics
    auc = m["roc_auc_by_model"]
    assert auc["repeat"] >= 0.8 and auc["sequence"] < auc["repeat"] - 0.1
    assert m["final_loss_by_model"]["sequence"] < m["final_loss_by_model"]["repeat"]


def test_every_preset_has_a_slow_test():
    source = inspect.getsource(sys.modules[__name__])
    for preset in LAB.presets:
        assert f'LAB.preset("{preset.name}")' in source, preset.name
