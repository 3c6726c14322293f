"""What the Applications lab may say about its numbers: sizes equal to numel, the held-out
false-alarm rate, the uncertainty weights' distance to their fixed point, one loss quantity
across weightings, and (slow) the CNN's place against the presence-only line."""
import pytest
import torch

from core.analysis.reconstruction_scores import step_scores
from core.analysis.task_balance import fixed_point_distance
from core.device import stream
from core.labs import get_lab
from core.tasks.anomalies import probe_series

LAB = get_lab("applications")
TINY = {"steps": 10, "eval_every": 5, "hidden": 8, "batch": 8, "dna_length": 40,
        "gap_min": 2, "gap_max": 10, "filters": 4, "mt_length": 10, "window": 12}


def _numel(model) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.fixture(scope="module")
def runs():
    return {section: LAB.run(LAB.make_config({**TINY, "section": section}))
            for section in ("dna", "multitask", "anomaly")}


def test_parameter_counts_are_numel_for_every_compared_model(runs):
    for r in runs.values():
        assert r.metrics["parameters_by_model"] == {
            name: _numel(model) for name, model in r.artifacts["models"].items()}
    assert runs["dna"].metrics["steps_by_model"] == {n: TINY["steps"] for n in
                                                     runs["dna"].artifacts["models"]}


def test_the_false_alarm_rate_is_measured_on_steps_the_threshold_never_saw(runs):
    """Recomputed here from the trained model on the test probes: their normal steps at the
    threshold fitted on clean validation series. The fitted 1% is the target only."""
    r = runs["anomaly"]
    m = r.metrics
    model = r.artifacts["models"][r.config["ae_form"]]
    probes = probe_series(m["test_probes"], m["probe_length"], r.config["anomalies"],
                          r.config["anomaly_size"], stream(r.config["seed"], "test"))
    scores = step_scores(model, probes.x, r.config["window"])
    normal = scores[probes.labels < 0.5]
    assert m["false_alarm_rate"] == pytest.approx(float((normal >= m["threshold"]).float().mean()))
    assert m["false_alarm_target"] == pytest.approx(0.01)
    assert m["false_alarm_fitted"] == pytest.approx(0.01, abs=0.002)
    assert 0 <= m["false_alarm_clean_held_out"] <= 1
    assert m["false_alarm_rate"] != m["false_alarm_fitted"]


def test_fixed_and_uncertainty_weighting_chart_the_same_loss_quantity():
    """Same seed, data and initial weights: the first step's charted loss is L_tag + L_seq
    under both weightings (the uncertainty weights start at 1), not half of it for w = 0.5."""
    first = {}
    for weighting in ("fixed", "uncertainty"):
        r = LAB.run(LAB.make_config({**TINY, "section": "multitask", "weighting": weighting,
                                     "steps": 5, "eval_every": 5}))
        first[weighting] = next(h["loss"] for h in r.arrays["histories"]["shared"]
                                if h.get("loss") is not None)
    assert first["fixed"] == pytest.approx(first["uncertainty"], rel=1e-5)


def test_uncertainty_weights_report_their_distance_to_the_fixed_point():
    r = LAB.run(LAB.make_config({**TINY, "section": "multitask", "weighting": "uncertainty"}))
    m = r.metrics
    assert m["weights_to_fixed_point"] == fixed_point_distance(
        m["final_weights"], [m["test_losses"]["tag"], m["test_losses"]["seq"]])
    assert [row["fixed_point"] for row in m["weights_to_fixed_point"]] == pytest.approx(
        m["equilibrium_weights"])
    fixed = LAB.run(LAB.make_config({**TINY, "section": "multitask", "steps": 5}))
    assert fixed.metrics["weights_to_fixed_point"] is None


@pytest.mark.slow
def test_default_dna_cnn_is_below_the_presence_line_at_the_steps_trained():
    """The preset's note: in the default 300 steps the CNN stays below the dotted line."""
    preset = LAB.preset("hybrid reads the grammar")
    config = LAB.make_config(preset.overrides)
    assert config.steps == 300 and f"{config.steps} steps" in preset.note
    r = LAB.run(config)
    assert r.metrics["accuracy_by_model"]["CNN"] < r.metrics["presence_ceiling"]


def test_dna_matched_parameters_sizes_the_cnn_and_the_bilstm_to_the_hybrid():
    from core.analysis.model_size import parameter_count
    from core.labs.applications.dna import POOL, model_sizes
    from core.models.dna import build_dna_model
    config = LAB.make_config({"dna_matched": True})
    sizes = model_sizes(config)
    counts = {kind: parameter_count(build_dna_model(kind, width=config.motif_width, pool=POOL,
                                                    **size)) for kind, size in sizes.items()}
    assert sizes["hybrid"] == {"filters": config.filters, "hidden": config.hidden}
    for kind in ("cnn", "rnn"):
        assert abs(counts[kind] - counts["hybrid"]) / counts["hybrid"] < 0.05, counts
    plain = model_sizes(LAB.make_config({}))
    assert all(s == {"filters": config.filters, "hidden": config.hidden} for s in plain.values())
