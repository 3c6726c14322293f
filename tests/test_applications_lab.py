"""The Applications lab end to end: each section on tiny settings, its headline figure, the
skeleton's promises (streams, threads, devices, Stop), the command line, and (slow) the
default demo and each preset's story."""
import inspect
import json
import re
import sys
from pathlib import Path

import pytest
import torch

from cli_runner import cli
from core.contract import ConfigError
from core.labs import get_lab
from core.viz.applications import COLORS, headline

LAB = get_lab("applications")
ROOT = Path(__file__).resolve().parents[1]
TINY = {"steps": 10, "eval_every": 5, "hidden": 8, "batch": 8, "dna_length": 40,
        "gap_min": 2, "gap_max": 10, "filters": 4, "mt_length": 10, "stream_len": 40,
        "label_every": 10, "window": 12}
SECTIONS = ("dna", "multitask", "events", "anomaly")


@pytest.fixture(scope="module")
def tiny_results():
    return {s: LAB.run(LAB.make_config({**TINY, "section": s})) for s in SECTIONS}


@pytest.mark.parametrize("section", SECTIONS)
def test_each_section_runs_and_serialises(tiny_results, section):
    r = tiny_results[section]
    assert r.lab == "applications" and r.config["section"] == section
    assert r.steps == TINY["steps"] and r.status in ("completed", "succeeded")
    data = json.loads(r.to_json())
    assert set(data["arrays"]["histories"]) == set(r.artifacts["models"])
    assert set(r.arrays["live"]) == set(r.artifacts["models"])
    assert set(r.arrays["live"]) <= set(COLORS)


def test_section_metrics(tiny_results):
    dna = tiny_results["dna"].metrics
    assert set(dna["accuracy_by_model"]) == {"CNN → BiLSTM", "CNN", "BiLSTM"}
    assert dna["accuracy"] == dna["accuracy_by_model"]["CNN → BiLSTM"]
    assert 0.5 <= dna["presence_ceiling"] <= 1 and dna["cnn_receptive_field"] == 6 - 1 + 4 * 3
    assert set(tiny_results["dna"].arrays["logos"]) == {"CNN → BiLSTM", "CNN"}
    assert len(tiny_results["dna"].arrays["saliency"]["saliency"]) == TINY["dna_length"]
    mt = tiny_results["multitask"].metrics
    assert mt["parameters_by_model"]["tagging only"] * 2 == pytest.approx(
        mt["parameters_by_model"]["shared"], rel=0.1)
    assert -1 <= mt["cosine_mean"] <= 1
    ev = tiny_results["events"].metrics
    assert ev["all_negative_pr_auc"] == ev["test_event_rate"]
    assert ev["all_negative_accuracy"] == pytest.approx(1 - ev["test_event_rate"])
    assert set(ev["score_by_model"]) == {"focal", "plain", "weighted"}
    an = tiny_results["anomaly"].metrics
    assert set(an["roc_auc_by_model"]) == {"repeat", "sequence", "autoregressive"}
    assert set(an["caught_by_kind"]) == {"spike", "shift", "noise", "stuck"}


def test_densities_train_one_model_per_density():
    r = LAB.run(LAB.make_config({**TINY, "section": "events", "event_compare": "densities"}))
    assert list(r.arrays["live"]) == ["every step", "every k steps", "end only"]
    ratio = r.metrics["early_late_gradient_by_model"]
    assert ratio["end only"] < ratio["every step"]  # the end label barely reaches step 1


@pytest.mark.parametrize("section", SECTIONS)
def test_headline_draws_empty_one_arm_and_finished(tiny_results, section):
    r = tiny_results[section]
    config = r.config
    titled = lambda fig: (any(ax.title.text for ax in fig.select_xaxes())
                          and any(ax.title.text for ax in fig.select_yaxes()))
    empty = headline({}, config)
    assert titled(empty)
    first = next(iter(r.arrays["live"]))
    one = headline({first: r.arrays["live"][first]}, config)
    done = headline(r.arrays["live"], config)
    assert len(done.data) >= len(one.data) >= 1
    assert done.layout.title.text and titled(done)


def test_config_checks_name_the_knobs():
    with pytest.raises(ConfigError, match="gap_min"):
        LAB.make_config({"gap_min": 30, "gap_max": 20})
    with pytest.raises(ConfigError, match="dna_length"):
        LAB.make_config({"dna_length": 40, "gap_max": 35})
    with pytest.raises(ConfigError, match="label_every"):
        LAB.make_config({"label_every": 100, "stream_len": 50})
    for preset in LAB.presets:
        LAB.make_config(preset.overrides)
    LAB.make_config(LAB.smoke)
    from core.contract import knobs, validate_value
    defaults = LAB.Config()
    for f in knobs(LAB.Config):  # the defaults sit on their sliders' grids too
        validate_value(f, getattr(defaults, f.name))


@pytest.mark.parametrize("section", SECTIONS)
def test_no_section_draws_from_the_global_generator(section):
    before = torch.random.get_rng_state()
    LAB.run(LAB.make_config({**TINY, "section": section, "steps": 5, "eval_every": 5}))
    assert torch.equal(torch.random.get_rng_state(), before)


def test_seed_changes_the_data_and_the_same_seed_repeats_it():
    cfg = {**TINY, "section": "dna", "steps": 5}
    a = LAB.run(LAB.make_config(cfg)).history
    b = LAB.run(LAB.make_config(cfg)).history
    c = LAB.run(LAB.make_config({**cfg, "seed": 1})).history
    loss = lambda h: [e["loss"] for e in h if "loss" in e]
    assert loss(a) == loss(b) and loss(a) != loss(c)


@pytest.mark.parametrize("section", SECTIONS)
def test_runs_with_the_default_device_set_to_meta(section):
    torch.set_default_device("meta")
    try:
        r = LAB.run(LAB.make_config({**TINY, "section": section, "steps": 5}))
    finally:
        torch.set_default_device(None)
    assert r.status in ("completed", "succeeded")


@pytest.mark.parametrize("section", SECTIONS)
def test_stop_returns_what_it_has(section):
    r = LAB.run(LAB.make_config({**TINY, "section": section, "steps": 500}),
                should_stop=lambda: True)
    assert r.status == "stopped" and r.steps == 0
    assert r.metrics["skipped"]  # Stop means stop: what was not measured is named
    json.loads(r.to_json())


def test_theory_names_tests_that_exist():
    from core.labs.applications.theory import THEORY
    theory = THEORY[THEORY.index("Where the theory comes from"):]
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", theory))
    defined = set()
    for path in ROOT.glob("tests/test_applications*.py"):
        defined |= set(re.findall(r"^def (test_[a-z0-9_]+)", path.read_text(encoding="utf-8"),
                                  re.M))
    assert named and named <= defined, named - defined


def test_lab_modules_stay_small():
    for path in list((ROOT / "core" / "labs" / "applications").glob("*.py")) + [
            ROOT / "pages" / "applications.py"]:
        assert len(path.read_text(encoding="utf-8").splitlines()) < 330, path.name


def test_cli_run_json_and_errors():
    sets = sum((["--set", f"{k}={v}"] for k, v in {**TINY, "section": "anomaly",
                                                    "compare_forms": "false"}.items()), [])
    out = cli("run", "applications", "--json", *sets, check=True)
    data = json.loads(out.stdout)
    assert data["config"]["section"] == "anomaly" and "roc_auc" in data["metrics"]
    assert list(data["arrays"]["live"]) == ["repeat"]
    bad = cli("run", "applications", "--set", "gap_min=50")
    assert bad.returncode == 2 and "gap_min" in bad.stderr
    knobs = cli("knobs", "applications", check=True).stdout
    assert "motif_width" in knobs and "event_pct" in knobs


def _ran(overrides: dict):
    return LAB.run(LAB.make_config(overrides))


@pytest.mark.slow
def test_default_demo_the_hybrid_reads_the_grammar_the_others_do_not():
    r = _ran({})
    acc = r.metrics["accuracy_by_model"]
    assert r.success and acc["CNN → BiLSTM"] >= 0.9
    assert acc["CNN"] < r.metrics["presence_ceiling"] + 0.05 and acc["BiLSTM"] < 0.7
    assert r.metrics["motif_match"]["CNN → BiLSTM"]["A"] > 0.8
    assert r.metrics["hybrid_lead"] > 0.25


@pytest.mark.slow
def test_preset_motifs_side_by_side_lets_the_cnn_see_the_order():
    r = _ran(LAB.preset("motifs side by side").overrides)
    assert r.metrics["accuracy_by_model"]["CNN"] > r.metrics["presence_ceiling"] + 0.2


@pytest.mark.slow
def test_preset_sloppy_motifs_soften_the_tolerant_columns():
    r = _ran(LAB.preset("sloppy motifs").overrides)
    logos = r.arrays["logos"]["CNN → BiLSTM"]["A"]
    ic = logos["planted"]["ic"]
    assert min(ic) < 1.0 and max(ic) == pytest.approx(2.0)


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


@pytest.mark.slow
def test_preset_anomalies_need_the_bottleneck():
    m = _ran(LAB.preset("anomalies by reconstruction").overrides).metrics
    auc = m["roc_auc_by_model"]
    assert auc["repeat"] >= 0.8 and auc["sequence"] < auc["repeat"] - 0.1
    assert m["final_loss_by_model"]["sequence"] < m["final_loss_by_model"]["repeat"]


def test_every_preset_has_a_slow_test():
    source = inspect.getsource(sys.modules[__name__])
    for preset in LAB.presets[1:]:
        assert f'LAB.preset("{preset.name}")' in source, preset.name


def test_named_sweeps_plan_and_name_a_metric_their_section_reports(tiny_results):
    from core.sweep import lab_sweeps
    from core.sweep.point import scalar_metrics
    from core.sweep_spec import plan_sweep
    sweeps = lab_sweeps(LAB)
    assert len(sweeps) == 2
    for spec in sweeps.values():
        assert plan_sweep(LAB, spec).total == spec.seeds * 4
        section = spec.overrides.get("section", "dna")
        assert spec.metric in scalar_metrics(tiny_results[section].metrics), spec.name
