"""The DNA lab end to end: a tiny run, its headline figure, the skeleton's promises (streams,
threads, devices, Stop), the command line, what it may say about its numbers (sizes equal to
numel, matched parameters), and (slow) the default demo and each preset's story."""
import inspect
import json
import sys

import pytest

import application_labs as check
from cli_runner import cli, sets
from core.contract import ConfigError
from core.labs import get_lab
from core.viz.dna import COLORS, headline

LAB = get_lab("dna")
TINY = {"steps": 10, "eval_every": 5, "hidden": 8, "batch": 8, "length": 40, "gap_min": 2,
        "gap_max": 10, "filters": 4}


@pytest.fixture(scope="module")
def tiny():
    return LAB.run(LAB.make_config(TINY))


def _numel(model) -> int:
    return sum(p.numel() for p in model.parameters())


def test_runs_and_serialises(tiny):
    check.check_runs_and_serialises(tiny, LAB, TINY["steps"], COLORS)


def test_metrics(tiny):
    dna = tiny.metrics
    assert set(dna["accuracy_by_model"]) == {"CNN → BiLSTM", "CNN", "BiLSTM"}
    assert dna["accuracy"] == dna["accuracy_by_model"]["CNN → BiLSTM"]
    assert 0.5 <= dna["presence_ceiling"] <= 1 and dna["cnn_receptive_field"] == 6 - 1 + 4 * 3
    assert set(tiny.arrays["logos"]) == {"CNN → BiLSTM", "CNN"}
    assert len(tiny.arrays["saliency"]["saliency"]) == TINY["length"]


def test_headline_draws_empty_one_arm_and_finished(tiny):
    check.check_headline_draws_empty_one_arm_and_finished(tiny, headline)


def test_config_checks_name_the_knobs():
    with pytest.raises(ConfigError, match="gap_min"):
        LAB.make_config({"gap_min": 30, "gap_max": 20})
    with pytest.raises(ConfigError, match="length"):
        LAB.make_config({"length": 40, "gap_max": 35})
    check.check_config_is_the_labs_own(LAB, ("relatedness", "event_pct", "form", "window"))


def test_no_run_draws_from_the_global_generator():
    check.check_no_draw_from_the_global_generator(LAB, TINY)


def test_seed_changes_the_data_and_the_same_seed_repeats_it():
    cfg = {**TINY, "steps": 5}
    a = LAB.run(LAB.make_config(cfg)).history
    b = LAB.run(LAB.make_config(cfg)).history
    c = LAB.run(LAB.make_config({**cfg, "seed": 1})).history
    loss = lambda h: [e["loss"] for e in h if "loss" in e]
    assert loss(a) == loss(b) and loss(a) != loss(c)



def test_stop_returns_what_it_has():
    check.check_stop_returns_what_it_has(LAB, TINY)


def test_theory_names_tests_that_exist():
    check.check_theory_names_tests_that_exist("dna")


def test_lab_modules_stay_small():
    check.check_modules_stay_small("dna")


def test_cli_run_json_and_errors():
    flags = sets(TINY)
    out = cli("run", "dna", "--json", *flags, check=True)
    data = json.loads(out.stdout)
    assert data["config"]["length"] == TINY["length"] and "hybrid_lead" in data["metrics"]
    assert list(data["arrays"]["live"]) == ["CNN → BiLSTM", "CNN", "BiLSTM"]
    bad = cli("run", "dna", "--set", "gap_min=50")
    assert bad.returncode == 2 and "gap_min" in bad.stderr
    knobs = cli("knobs", "dna", check=True).stdout
    assert "motif_width" in knobs and "event_pct" not in knobs


def test_parameter_counts_are_numel_for_every_compared_model(tiny):
    assert tiny.metrics["parameters_by_model"] == {
        name: _numel(model) for name, model in tiny.artifacts["models"].items()}
    assert tiny.metrics["steps_by_model"] == {n: TINY["steps"] for n in tiny.artifacts["models"]}


def test_matched_parameters_sizes_the_cnn_and_the_bilstm_to_the_hybrid():
    from core.analysis.model_size import parameter_count
    from core.labs.dna.training import POOL, model_sizes
    from core.models.dna import build_dna_model
    config = LAB.make_config({"matched": True})
    sizes = model_sizes(config)
    counts = {kind: parameter_count(build_dna_model(kind, width=config.motif_width, pool=POOL,
                                                    **size)) for kind, size in sizes.items()}
    assert sizes["hybrid"] == {"filters": config.filters, "hidden": config.hidden}
    for kind in ("cnn", "rnn"):
        assert abs(counts[kind] - counts["hybrid"]) / counts["hybrid"] < 0.05, counts
    plain = model_sizes(LAB.make_config({}))
    assert all(s == {"filters": config.filters, "hidden": config.hidden} for s in plain.values())


def test_named_sweep_plans_and_names_a_metric_the_lab_reports(tiny):
    from core.sweep import lab_sweeps
    from core.sweep.point import scalar_metrics
    from core.sweep_spec import plan_sweep
    sweeps = lab_sweeps(LAB)
    assert list(sweeps) == ["hybrid lead vs spacing"]
    for spec in sweeps.values():
        assert plan_sweep(LAB, spec).total == spec.seeds * 4
        assert spec.metric in scalar_metrics(tiny.metrics), spec.name


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
def test_default_cnn_is_below_the_presence_line_at_the_steps_trained():
    """The preset's note: in the default 300 steps the CNN stays below the dotted line."""
    preset = LAB.preset("hybrid reads the grammar")
    config = LAB.make_config(preset.overrides)
    assert config.steps == 300 and f"{config.steps} steps" in preset.note
    r = LAB.run(config)
    assert r.metrics["accuracy_by_model"]["CNN"] < r.metrics["presence_ceiling"]


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


def test_every_preset_has_a_slow_test():
    source = inspect.getsource(sys.modules[__name__])
    for preset in LAB.presets:
        assert f'LAB.preset("{preset.name}")' in source, preset.name
