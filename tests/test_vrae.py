import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from core.analysis.latent import (active_units, gaussian_kl, interpolate, kl_weight,
                                  monte_carlo_kl, path_max_jump, project_2d)
from core.analysis.latent_probes import LatentProbe
from core.labs import get_lab
from core.models.seq_autoencoder import FORMS, SequenceAutoencoder
from core.models.vrae import VRAE
from core.tasks.waveforms import Waveforms
from core.tasks.words import MAX_LETTERS, Words, decode_ids, encode, load_words, validate_word

REQUIRED = ("elbo", "reconstruction", "kl", "active_units", "reconstruction_by_length")


def test_kl_closed_form_matches_monte_carlo():
    mu = torch.tensor([[0.0, 1.5, -0.7], [2.0, 0.3, 0.0]], dtype=torch.float64)
    logvar = torch.tensor([[0.0, -1.0, 0.8], [-2.0, 0.5, 1.2]], dtype=torch.float64)
    closed = gaussian_kl(mu, logvar)
    mc = monte_carlo_kl(mu, logvar, 400_000, torch.Generator().manual_seed(0))
    assert torch.allclose(closed, mc, atol=0.02)
    assert float(closed[0, 0]) == 0.0  # q = p exactly


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


def test_words_asset_and_validation():
    words = load_words()
    assert len(words) > 3000
    assert all(w.isalpha() and w.islower() and 3 <= len(w) <= MAX_LETTERS for w in words)
    batch = encode(["cat", "lantern"])
    assert decode_ids(batch.target[1].tolist()) == "lantern"
    assert batch.label.tolist() == [0, 1]
    for bad in ("", "héllo", "extraordinary", "ab1"):
        with pytest.raises(ValueError):
            validate_word(bad)
    train, held = Words().split()
    assert not set(train) & set(held)


def _probe(kind: str, conditional: bool = False):
    torch.manual_seed(0)
    task = Waveforms(seq_len=12) if kind == "continuous" else Words()
    model = VRAE(kind, hidden=16, latent_dim=3, vocab_size=getattr(task, "vocab_size", 0),
                 z_every_step=True, classes=task.classes if conditional else 0)
    gen = torch.Generator().manual_seed(0)
    examples = task.sample(16, gen) if kind == "continuous" else task.sample(16, gen, held_out=True)
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


def test_tiny_end_to_end_run():
    lab = get_lab("vrae")
    config = lab.make_config({"steps": 6, "eval_every": 3, "hidden": 16,
                              "autoencoder_comparison": True, "ae_steps": 3, "batch": 16})
    seen = []
    result = lab.run(config, on_step=lambda s, m: seen.append(m))
    json.loads(result.to_json())
    assert result.steps == 6 and seen and all(0 <= m["progress"] <= 1 for m in seen)
    for key in REQUIRED:
        assert key in result.metrics
    assert set(result.metrics["reconstruction_by_length"]) == set(FORMS)
    assert len(result.arrays["interpolation"]["decoded"]) == 9
    words = lab.run(lab.make_config({"dataset": "words", "steps": 4, "eval_every": 2,
                                     "hidden": 16, "conditional": True}))
    assert all(isinstance(w, str) for w in words.arrays["prior_samples"])


def test_cli_reports_required_metrics():
    out = subprocess.run([sys.executable, "-m", "core", "run", "vrae", "--set", "steps=5",
                          "--set", "autoencoder_comparison=true", "--set", "ae_steps=2",
                          "--json"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout)["metrics"]
    for key in REQUIRED:
        assert key in metrics
    assert math.isfinite(metrics["kl"])


@pytest.mark.slow
def test_default_demo_keeps_kl_above_zero_and_interpolates_smoothly():
    lab = get_lab("vrae")
    result = lab.run(lab.make_config())
    m = result.metrics
    assert result.success
    assert m["kl"] >= 2.0 and not m["posterior_collapsed"] and m["active_units"] >= 2
    assert m["kl_weight_final"] == 1.0
    assert m["interpolation_valid_fraction"] == 1.0
    assert m["interpolation_max_jump"] < 0.5  # no single step crosses half the path


@pytest.mark.slow
def test_strong_decoder_collapses_without_annealing_or_word_dropout():
    lab = get_lab("vrae")
    result = lab.run(lab.make_config({
        "dataset": "words", "kl_schedule": "none", "word_dropout": 0.0, "z_every_step": False,
        "hidden": 64, "latent_dim": 8, "steps": 300, "eval_every": 100}))
    assert result.metrics["posterior_collapsed"] and result.metrics["kl"] < 0.1
    assert result.metrics["active_units"] <= 1
    assert "collapse" in result.message.lower()
