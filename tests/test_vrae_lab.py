"""The VRAE lab: the latent-space measurements against exact cases, the model's pieces, the
lab end to end on tiny settings, its probes and studies, and (slow) the default demo and the
single-factor collapse story of its presets."""
import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from cli_runner import cli
from core.analysis.latent import (active_units, interpolate, kl_weight, monte_carlo_kl,
                                  path_max_jump, project_2d)
from core.analysis.latent_probes import LatentProbe
from core.labs.vrae import (BASELINE_LABEL, LEVER_LABELS, LEVERS_OFF, LEVERS_ON, PATH_POINTS,
                            lever_configs)
from core.labs.vrae.studies import LENGTHS, compare_autoencoders
from core.device import build_seeded
from core.models.seq_autoencoder import FORMS, SequenceAutoencoder
from core.models.vrae import VRAE, gaussian_kl
from core.tasks.waveforms import Waveforms
from core.tasks.words import MAX_LETTERS, Words, decode_ids, encode, load_words, validate_word
from core.viz import vrae as viz

from vrae_runs import LAB, TINY, tiny_run, tiny_words  # noqa: F401 (fixtures)

REQUIRED = ("elbo", "reconstruction", "kl", "active_units", "free_running_rmse",
            "interpolation_end_rmse", "posterior_collapsed")


# -- measurements against exact cases ------------------------------------------------------

def test_kl_closed_form_matches_monte_carlo():
    mu = torch.tensor([[0.0, 1.5, -0.7], [2.0, 0.3, 0.0]], dtype=torch.float64)
    logvar = torch.tensor([[0.0, -1.0, 0.8], [-2.0, 0.5, 1.2]], dtype=torch.float64)
    closed = gaussian_kl(mu, logvar)
    mc = monte_carlo_kl(mu, logvar, 400_000, torch.Generator().manual_seed(0))
    assert torch.allclose(closed, mc, atol=0.02)
    assert float(closed[0, 0]) == 0.0  # q = p exactly


def test_gaussian_reconstruction_matches_the_normal_density():
    """−log p(x|z) for waveforms is the Gaussian negative log-density with std σ_x, summed
    over time: compare with torch.distributions.Normal on the decoder's own output."""
    model = VRAE("continuous", hidden=8, latent_dim=2)
    batch = Waveforms(seq_len=10).sample(3, torch.Generator().manual_seed(0))
    output = torch.randn(3, 10, 1, generator=torch.Generator().manual_seed(1))
    for std in (0.1, 0.5):
        nll = model.reconstruction_nll(output, batch, std)
        exact = -torch.distributions.Normal(output, std).log_prob(batch.x).sum((1, 2))
        assert torch.allclose(nll, exact, atol=1e-4)


def test_schedules():
    assert kl_weight(0, 100, "none") == 1.0
    assert kl_weight(25, 100, "linear", 0.5) == pytest.approx(0.5)
    assert kl_weight(80, 100, "linear", 0.5) == 1.0
    assert kl_weight(25, 100, "sigmoid", 0.5) == pytest.approx(0.5)
    assert kl_weight(1, 100, "sigmoid", 0.5) < 0.01 and kl_weight(50, 100, "sigmoid", 0.5) == 1.0
    # cyclical, 4 cycles of 25 steps: ramps over 12.5 steps, holds, drops back to 0
    assert kl_weight(0, 100, "cyclical", cycles=4) == 0.0
    assert kl_weight(25 + 6.25, 100, "cyclical", cycles=4) == pytest.approx(0.5)
    assert kl_weight(20, 100, "cyclical", cycles=4) == 1.0
    assert kl_weight(50, 100, "cyclical", cycles=4) == 0.0
    assert kl_weight(100, 100, "cyclical", cycles=4) == 1.0
    with pytest.raises(ValueError):
        kl_weight(1, 10, "cosine")


def test_active_units_on_constructed_posteriors():
    gen = torch.Generator().manual_seed(1)
    mu = torch.zeros(500, 4)
    mu[:, 0] = torch.randn(500, generator=gen)  # varies: active
    mu[:, 2] = 0.5 * torch.randn(500, generator=gen)  # variance 0.25: active
    mu[:, 3] = 0.05 * torch.randn(500, generator=gen)  # variance 0.0025: below 0.01
    count, variances = active_units(mu)
    assert count == 2
    assert variances[1] == 0.0 and variances[0] > 0.5


def test_interpolation_and_projection():
    a, b = torch.tensor([1.0, -2.0]), torch.tensor([3.0, 4.0])
    path = interpolate(a, b, 5)
    assert torch.equal(path[0], a) and torch.equal(path[-1], b)
    assert torch.allclose(path[2], (a + b) / 2)
    even = np.linspace(0, 1, 5)[:, None] * np.ones((1, 10))
    assert path_max_jump(even) == pytest.approx(0.25)
    assert path_max_jump(np.array([[0.0], [0.0], [1.0]])) == pytest.approx(1.0)
    z = np.random.default_rng(0).normal(size=(200, 5)) * np.array([5, 1, 0.1, 0.1, 0.1])
    xy, explained = project_2d(z)
    assert xy.shape == (200, 2) and explained[0] > explained[1] > 0.01


# -- data and model pieces ------------------------------------------------------------------

def test_words_asset_validation_and_three_disjoint_parts():
    words = load_words()
    assert len(words) > 3000
    assert all(w.isalpha() and w.islower() and 3 <= len(w) <= MAX_LETTERS for w in words)
    batch = encode(["cat", "lantern"])
    assert decode_ids(batch.target[1].tolist()) == "lantern"
    assert batch.label.tolist() == [0, 1]
    for bad in ("", "héllo", "extraordinary", "ab1"):
        with pytest.raises(ValueError):
            validate_word(bad)
    train, validation, test = (set(Words().split(p)) for p in ("train", "validation", "test"))
    assert not (train & validation or train & test or validation & test)
    assert len(train | validation | test) == len(set(words))
    held = Words().sample(50, torch.Generator().manual_seed(0), part="test")
    assert len(set(held.words)) == 50 and set(held.words) <= test  # distinct test words


def _probe(kind: str, conditional: bool = False):
    task = Waveforms(seq_len=12) if kind == "continuous" else Words()
    model = build_seeded(0, lambda: VRAE(  # the test's own weights, whatever ran before it
        kind, hidden=16, latent_dim=3, vocab_size=getattr(task, "vocab_size", 0),
        z_every_step=True, classes=task.classes if conditional else 0))
    gen = torch.Generator().manual_seed(0)
    examples = task.sample(16, gen) if kind == "continuous" else task.sample(16, gen, part="test")
    return LatentProbe(model, task, examples)


@pytest.mark.parametrize("kind,conditional", [("continuous", False), ("discrete", False),
                                              ("continuous", True), ("discrete", True)])
def test_interpolation_endpoints_decode_the_inputs_latents(kind, conditional):
    probe = _probe(kind, conditional)
    labels = probe.labels()
    j = next(k for k, c in enumerate(labels) if c == labels[0] and k > 0)
    path = probe.interpolation(0, j, points=5)
    mu = probe.encode_mean(probe.examples.subset([0, j]))
    for got, z in ((path["decoded"][0], mu[:1]), (path["decoded"][-1], mu[1:])):
        want = probe.decode(z, labels[0])[0]
        if kind == "discrete":
            assert got == want
        else:  # batched and single decodes differ only by float rounding
            assert np.allclose(got, want, atol=1e-5)
    other = probe.decode(mu[1:], labels[0])[0]
    assert kind == "discrete" or not np.allclose(path["decoded"][0], other, atol=1e-3)
    assert torch.allclose(torch.tensor(path["z_path"][0]), mu[0].cpu())
    if kind == "continuous":  # the ends' error against the two inputs, computed by hand
        ends = np.array([path["decoded"][0], path["decoded"][-1]])
        want = np.sqrt(((ends - np.array(path["inputs"])) ** 2).mean())
        assert path["end_rmse"] == pytest.approx(want)


def test_the_default_pair_is_the_first_input_of_each_of_two_classes():
    probe = _probe("continuous")
    i, j = probe.pair_of_two_classes()
    labels = probe.labels()
    first, second = sorted(set(labels))[:2]
    assert (i, j) == (labels.index(first), labels.index(second))


def test_elbo_terms_shapes_and_word_dropout_hides_inputs():
    probe = _probe("continuous")
    batch = probe.examples
    terms = probe.model.elbo_terms(batch, word_dropout=0.0, obs_std=0.1,
                                   gen=torch.Generator().manual_seed(0))
    assert terms.reconstruction.shape == (16,) and terms.kl.shape == (16, 3)
    feats = probe.model._token_feats(batch, 1.0, torch.Generator().manual_seed(0))
    assert float(feats.abs().sum()) == 0.0  # everything hidden: value 0 and flag 0
    feats = probe.model._token_feats(batch, 0.0, None)
    assert torch.equal(feats[:, 1:, 0], batch.x[:, :-1, 0])


@pytest.mark.parametrize("form", FORMS)
def test_sequence_autoencoder_forms_shapes(form):
    model = SequenceAutoencoder(form, hidden=8)
    x = Waveforms().sample(4, torch.Generator().manual_seed(0), seq_len=10).x
    assert model(x).shape == x.shape
    assert model(x, teacher_forcing=False).shape == x.shape


# -- the lab end to end ----------------------------------------------------------------------

def test_tiny_run_reports_test_numbers_and_the_live_path(tiny_run):
    json.loads(tiny_run.to_json())
    m = tiny_run.metrics
    for key in REQUIRED:
        assert key in m
    assert tiny_run.steps == TINY["steps"] and m["examples_measured"] == 256
    live = tiny_run.arrays["live"]["vrae"]
    assert live["step"] == TINY["steps"]
    assert len(live["decoded"]) == len(live["lambda"]) == PATH_POINTS
    if "interpolation_max_jump" in m:  # a path of PATH_POINTS points has PATH_POINTS - 1 steps
        assert m["interpolation_even_step"] == pytest.approx(1 / (PATH_POINTS - 1))
    assert tiny_run.arrays["path_pair"][0] != tiny_run.arrays["path_pair"][1]
    evals = [h["step"] for h in tiny_run.history if h.get("eval")]
    assert evals == [0, TINY["steps"]]  # the untrained model first, then every eval_every
    assert set(tiny_run.arrays["histories"]) == {"vrae"}
    assert set(tiny_run.artifacts["models"]) == {"vrae"}


def test_progress_and_the_first_picture_come_before_any_step():
    seen = []
    LAB.run(LAB.make_config(TINY), on_step=lambda s, m: seen.append((s, m)))
    step, first = seen[0]
    assert step == 0 and first["live"]["step"] == 0 and first["series"] == "vrae"
    assert all(0 <= m["progress"] <= 1 for _, m in seen)


def test_validation_and_test_are_different_inputs(tiny_run):
    """Early stopping reads the validation set; the reported numbers come from the test set."""
    last_eval = [h for h in tiny_run.history if h.get("eval")][-1]
    assert last_eval["kl"] != tiny_run.metrics["kl"]
    task = Waveforms(seq_len=24)
    from core.labs.vrae import held_out
    v = held_out(task, "validation", 8, 0, "cpu").x
    t = held_out(task, "test", 8, 0, "cpu").x
    assert not torch.equal(v, t)


def test_words_run_decodes_strings(tiny_words):
    assert all(isinstance(w, str) for w in tiny_words.arrays["prior_samples"])
    live = tiny_words.arrays["live"]["vrae"]
    assert live["kind"] == "discrete" and all(isinstance(w, str) for w in live["decoded"])
    assert "free_running_letter_accuracy" in tiny_words.metrics


def test_same_seed_same_numbers_and_seed_changes_them():
    a = LAB.run(LAB.make_config(TINY)).metrics["kl"]
    b = LAB.run(LAB.make_config(TINY)).metrics["kl"]
    c = LAB.run(LAB.make_config({**TINY, "seed": 1})).metrics["kl"]
    assert a == b and a != c


@pytest.mark.parametrize("dataset", ["waveforms", "words"])
def test_runs_with_the_default_device_set_to_meta(dataset):
    """Every tensor is created on an explicit device: a forgotten one lands on meta and
    fails to mix with the CPU model."""
    torch.set_default_device("meta")
    try:
        r = LAB.run(LAB.make_config({**TINY, "dataset": dataset}))
    finally:
        torch.set_default_device(None)
    assert r.status == "completed"


def test_steps_zero_measures_the_untrained_model():
    r = LAB.run(LAB.make_config({**TINY, "steps": 0}))
    assert r.steps == 0 and r.arrays["kl_heatmap_steps"] == [0]
    assert r.arrays["live"]["vrae"]["step"] == 0


def test_stop_request_returns_what_it_has():
    r = LAB.run(LAB.make_config({**TINY, "steps": 500}), should_stop=lambda: True)
    assert r.status == "stopped" and r.steps == 0
    assert r.metrics["skipped"] == ["vrae: test KL, active units and reconstructions"]
    assert r.arrays["live"]["vrae"]["step"] == 0  # the untrained model, measured before


def test_values_off_the_step_grid_are_refused():
    for bad in ({"steps": 7}, {"hidden": 12}, {"ae_steps": 3}):
        with pytest.raises(ValueError):
            LAB.make_config(bad)
    for preset in LAB.presets:
        LAB.make_config({**preset.overrides, **LAB.smoke})


def test_cli_reports_required_metrics():
    out = cli("run", "vrae", "--set", "steps=5", "--set", "hidden=16", "--json")
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout)["metrics"]
    for key in REQUIRED:
        assert key in metrics
    assert math.isfinite(metrics["kl"])
    bad = cli("run", "vrae", "--set", "steps=7")
    assert bad.returncode == 2 and "steps" in bad.stderr


# -- the headline figure ---------------------------------------------------------------------

def test_autoencoder_study_measures_every_form_at_every_length():
    config = LAB.make_config({**TINY, "ae_steps": 5})
    r = compare_autoencoders(config)
    json.loads(r.to_json())
    assert set(r.metrics["reconstruction_by_length"]) == set(FORMS)
    assert all(len(v) == len(LENGTHS) for v in r.metrics["reconstruction_by_length"].values())
    assert r.status == "completed" and r.steps == 3 * 5
    assert LAB.study("autoencoders").total_steps(config) == 3 * 5
    viz.autoencoder_comparison(r.arrays["autoencoders"])


def test_each_lever_arm_changes_exactly_one_knob_from_the_baseline():
    config = LAB.make_config(TINY)
    arms = lever_configs(config)
    baseline = dataclasses.asdict(arms.pop(BASELINE_LABEL))
    assert {k: baseline[k] for k in LEVERS_OFF} == LEVERS_OFF
    for name, arm in arms.items():
        changed = {k for k, v in dataclasses.asdict(arm).items() if baseline[k] != v}
        assert len(changed) == 1 and name == LEVER_LABELS[changed.pop()]
    words = lever_configs(LAB.make_config({**TINY, "dataset": "words"}))
    assert LEVER_LABELS["obs_std"] not in words  # σ_x has no effect on letters


def test_lever_study_reports_kl_and_units_per_arm():
    r = LAB.study("levers").run(LAB.make_config(TINY))
    assert list(r.metrics["levers"]) == list(lever_configs(LAB.make_config(TINY)))
    assert r.steps == 5 * TINY["steps"] == LAB.study("levers").total_steps(LAB.make_config(TINY))
    viz.lever_bars(r)


# -- the presets' story ----------------------------------------------------------------------

def test_the_lever_presets_each_change_one_knob_from_the_collapsed_baseline():
    baseline = LAB.presets[0]
    assert baseline.overrides == LEVERS_OFF
    levers = [p for p in LAB.presets if p.name.startswith("lever:")]
    assert len(levers) == len(LEVERS_ON)
    for preset in levers:
        changed = {k for k, v in preset.overrides.items() if baseline.overrides.get(k) != v}
        assert len(changed) == 1
        knob = changed.pop()
        assert preset.overrides[knob] == LEVERS_ON[knob] and knob in preset.show
    # the numbers in the notes: a ramp over half of training, 75% word dropout, σ_x 0.1
    # against 0.5 costs 25 times more
    assert "half of training" in LAB.preset("lever: KL annealing").note
    assert LAB.make_config(LAB.preset("lever: KL annealing").overrides).warmup_fraction == 0.5
    assert "75%" in LAB.preset("lever: word dropout").note and LEVERS_ON["word_dropout"] == 0.75
    ratio = (LEVERS_OFF["obs_std"] / LEVERS_ON["obs_std"]) ** 2
    assert f"{ratio:.0f} times" in LAB.preset("lever: σ_x").note


@pytest.mark.slow
def test_default_demo_keeps_kl_above_zero_and_draws_a_clear_path():
    result = LAB.run(LAB.make_config())
    m = result.metrics
    assert result.success
    assert m["kl"] >= 2.0 and not m["posterior_collapsed"] and m["active_units"] >= 2
    assert m["kl_weight_final"] == 1.0
    assert m["interpolation_valid_fraction"] == 1.0
    assert m["interpolation_max_jump"] < 0.5  # no single step crosses half the path
    assert m["interpolation_end_rmse"] < 0.5  # the data's own RMS is about 0.7


@pytest.mark.slow
def test_each_lever_changes_one_knob_and_the_measured_outcome():
    """Measured on seed 0 (numbers in the docstring of LEVER_OUTCOMES below)."""
    outcome = {}
    for preset in LAB.presets[:1 + len(LEVERS_ON)]:
        m = LAB.run(LAB.make_config(preset.overrides)).metrics
        outcome[preset.name] = (m["kl"], m["active_units"])
    kl, units = outcome["collapse: every lever off"]
    assert kl < 0.1 and units == 0
    for name, prevents in LEVER_OUTCOMES.items():
        kl, units = outcome[name]
        assert (kl >= 2.0 and units >= 2) == prevents, (name, kl, units)


LEVER_OUTCOMES = {
    "lever: KL annealing": False,
    "lever: word dropout": True,
    "lever: z at every step": False,
    "lever: σ_x": True,
}
