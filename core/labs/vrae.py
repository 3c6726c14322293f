"""Variational recurrent autoencoder: can a sequence be squeezed into one latent vector and
brought back — and what does the space between two sequences look like?

Trains a VRAE (core.models.vrae) on waveforms or words with the ELBO
    L = E_q[log p(x|z)] − β·w(step)·KL(q(z|x) ‖ N(0, I)),
w being the KL annealing weight (core.analysis.latent.kl_weight). Every `eval_every` steps
it measures, on held-out inputs, the reconstruction term, the KL per latent dimension and the
number of active units, so posterior collapse (KL → 0, no active units) shows as it happens.
Optionally it also trains the three plain sequence-autoencoder forms and measures their
reconstruction error against sequence length (core.analysis.autoencoder_comparison).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from core.analysis.autoencoder_comparison import compare_decoder_forms
from core.analysis.latent import SCHEDULES, active_units, kl_weight, project_2d
from core.analysis.latent_probes import LatentProbe
from core.contract import LabSpec, Preset, Result, knob
from core.device import pick_device, seed_everything, seeded_generator
from core.models.vrae import VRAE
from core.tasks.waveforms import Waveforms
from core.tasks.words import Words
from core.train import train

KL_MIN = 2.0  # nats per sequence: "clearly above zero"
COLLAPSE_KL = 0.1  # below this the posterior is (nearly) the prior: collapse warning
MIN_ACTIVE = 2
MAX_RMSE = 0.35  # waveforms, free-running from μ; the data's own RMS is about 0.7
MIN_LETTER_ACCURACY = 0.5  # words, free-running from μ
HELD_OUT = 256


@dataclass
class Config:
    dataset: str = knob("waveforms", "Data set", "waveforms: continuous curves whose shape, "
                        "period and phase vary. words: English words letter by letter "
                        "(3,953 words from SCOWL, see assets/words.LICENSE).",
                        choices=("waveforms", "words"))
    latent_dim: int = knob(4, "Latent dimensions d_z", "Size of z. With 2 the latent map "
                           "shows z itself; otherwise its first two principal components.",
                           min=1, max=16)
    hidden: int = knob(48, "Hidden units", "Encoder and decoder GRU size.", min=8, max=256,
                       step=8)
    kl_schedule: str = knob("linear", "KL annealing", "How the KL weight w rises: none (w = 1 "
                            "from the start), linear, sigmoid, or cyclical (repeated ramps).",
                            choices=SCHEDULES)
    warmup_fraction: float = knob(0.5, "Warm-up fraction", "Share of training over which w "
                                  "goes from 0 to 1.", min=0.05, max=1.0, step=0.05,
                                  visible_if={"kl_schedule": ("linear", "sigmoid")})
    kl_cycles: int = knob(4, "Cycles", "Number of ramps; each rises over half its cycle.",
                          min=1, max=20, visible_if={"kl_schedule": ("cyclical",)})
    beta: float = knob(1.0, "β", "Multiplies the KL term (β = 1 is the true ELBO; β > 1 "
                       "compresses harder).", min=0.0, max=5.0, step=0.1)
    word_dropout: float = knob(0.75, "Word dropout", "Fraction of the decoder's previous "
                               "elements hidden (a blank value, or <unk> for letters), so it "
                               "must rely on z.", min=0.0, max=1.0, step=0.05)
    z_every_step: bool = knob(True, "z at every decoder step", "Concatenate z to every "
                              "decoder input, not only the initial state tanh(W z).")
    conditional: bool = knob(False, "Conditional (class given)", "Give the class (waveform "
                             "shape, or word length short/long) to encoder and decoder.")
    obs_std: float = knob(0.1, "Observation std σ_x", "Fixed std of the Gaussian likelihood; "
                          "smaller makes reconstruction matter more against the KL.",
                          min=0.02, max=1.0, step=0.01,
                          visible_if={"dataset": ("waveforms",)})
    seq_len: int = knob(24, "Sequence length", "Steps per waveform.", min=8, max=64, step=4,
                        visible_if={"dataset": ("waveforms",)})
    lr: float = knob(0.005, "Learning rate", "Adam step size.", min=1e-5, max=0.1, widget="log")
    clip: float = knob(1.0, "Gradient clipping", "Max global gradient norm; 0 turns it off.",
                       min=0.0, max=10.0, step=0.5)
    batch: int = knob(64, "Batch size", "Sequences per step.", min=8, max=256, step=8)
    steps: int = knob(600, "Training steps", "Most optimiser steps; stops early once the "
                      "annealing is done and KL, active units and reconstruction pass.",
                      min=0, max=10000, step=50)
    eval_every: int = knob(50, "Measure every", "Steps between held-out measurements.",
                           min=1, max=1000, step=5)
    autoencoder_comparison: bool = knob(False, "Also compare plain autoencoders", "After the "
                                        "VRAE, train the three deterministic decoder forms on "
                                        "waveforms and measure error by sequence length.")
    ae_steps: int = knob(300, "Autoencoder steps", "Training steps per decoder form.",
                         min=0, max=5000, step=50)
    seed: int = knob(0, "Seed", "Fixes data and initial weights.", min=0, max=2**31 - 1)


def make_task(config: Config):
    return Waveforms(seq_len=config.seq_len) if config.dataset == "waveforms" else Words()


def _sample(task, n, gen, device, held_out=False):
    if task.kind == "discrete":
        return task.sample(n, gen, device, held_out=held_out)
    return task.sample(n, gen, device)


def build_model(config: Config, task, device) -> VRAE:
    seed_everything(config.seed)
    return VRAE(task.kind, hidden=config.hidden, latent_dim=config.latent_dim,
                vocab_size=getattr(task, "vocab_size", 0), z_every_step=config.z_every_step,
                classes=task.classes if config.conditional else 0).to(device)


@torch.no_grad()
def measure(model: VRAE, probe: LatentProbe, config: Config, gen) -> dict:
    """Held-out ELBO terms (z sampled), KL per dimension, active units, free-running quality."""
    held = probe.examples
    model.eval()
    terms = model.elbo_terms(held, obs_std=config.obs_std, gen=gen)
    model.train()
    recon, kl_dims = terms.reconstruction.mean(), terms.kl.mean(0)
    n_active, variances = active_units(terms.mu)
    n = 64 if probe.discrete else len(held.label)  # free-running decodes cost a loop each
    model.eval()
    decoded = model.generate(terms.mu[:n], probe.task.seq_len,
                             held.label[:n] if model.classes else None)
    model.train()
    if probe.discrete:
        target = held.target[:n]
        mask = target != 0
        quality = {"free_running_letter_accuracy":
                   float(((decoded == target) & mask).sum() / mask.sum())}
    else:
        quality = {"free_running_rmse": float((decoded - held.x[..., 0]).pow(2).mean().sqrt())}
    kl = float(kl_dims.sum())
    return {"elbo": -float(recon) - kl, "reconstruction": float(recon), "kl": kl,
            "kl_per_dim": kl_dims.tolist(), "active_units": n_active,
            "unit_variances": variances, **quality}


def passes(metrics: dict, weight: float) -> bool:
    """Success: annealing finished, KL clearly above zero, enough active units, and the
    latent mean alone reconstructs the input (free-running)."""
    quality = (metrics["free_running_rmse"] <= MAX_RMSE if "free_running_rmse" in metrics
               else metrics["free_running_letter_accuracy"] >= MIN_LETTER_ACCURACY)
    return (weight >= 0.999 and metrics["kl"] >= KL_MIN
            and metrics["active_units"] >= MIN_ACTIVE and quality)


def _pick_pair(probe: LatentProbe) -> tuple[int, int]:
    """Two held-out inputs of different classes, for the default interpolation."""
    labels = probe.labels()
    j = next((k for k, c in enumerate(labels) if c != labels[0]), 1)
    return 0, j


def run(config: Config, on_step=None, should_stop=None) -> Result:
    start = time.perf_counter()
    device = pick_device()
    task = make_task(config)
    model = build_model(config, task, device)
    data_gen, noise_gen = seeded_generator(config.seed), seeded_generator(config.seed + 7)
    probe = LatentProbe(model, task, _sample(task, HELD_OUT, seeded_generator(config.seed + 1),
                                             device, held_out=True))
    eval_gen = seeded_generator(config.seed + 2)
    heatmap, heatmap_steps, weights, latest = [], [], [], {}
    schedule = dict(total_steps=config.steps, schedule=config.kl_schedule,
                    warmup_fraction=config.warmup_fraction, cycles=config.kl_cycles)

    def step_fn(step: int):
        batch = _sample(task, config.batch, data_gen, device)
        terms = model.elbo_terms(batch, word_dropout=config.word_dropout,
                                 obs_std=config.obs_std, gen=noise_gen)
        w = kl_weight(step, **schedule)
        recon, kl = terms.reconstruction.mean(), terms.kl.sum(1).mean()
        loss = recon + config.beta * w * kl
        return loss, {"reconstruction": recon.detach(), "kl": kl.detach(), "kl_weight": w}

    def evaluate(step: int) -> dict:
        metrics = measure(model, probe, config, eval_gen)
        weight = kl_weight(step, **schedule)
        heatmap.append(metrics["kl_per_dim"])
        heatmap_steps.append(step)
        weights.append(weight)
        latest.clear()
        latest.update(metrics, weight=weight)
        return {k: v for k, v in metrics.items() if not isinstance(v, list)} | {"kl_weight": weight}

    total = config.steps + (3 * config.ae_steps if config.autoencoder_comparison else 0)

    def vrae_step(step: int, m: dict) -> None:
        if on_step is not None:
            extra = {"series": "vrae", "progress": step / max(total, 1)} \
                if config.autoencoder_comparison else {}
            on_step(step, {**m, **extra})

    def ae_step(step: int, m: dict) -> None:  # rescale the comparison's own progress
        if on_step is not None:
            done = config.steps + m.get("progress", 0.0) * 3 * config.ae_steps
            on_step(step, {**m, "progress": done / max(total, 1)})

    log = train(list(model.parameters()), step_fn, steps=config.steps, lr=config.lr,
                clip=config.clip, evaluate=evaluate, eval_every=config.eval_every,
                is_success=lambda m: passes(m, m["kl_weight"]), on_step=vrae_step,
                should_stop=should_stop)
    if not heatmap_steps or heatmap_steps[-1] != log.steps:
        evaluate(log.steps)
    metrics = {k: v for k, v in latest.items() if k != "weight"}
    metrics["kl_weight_final"] = latest["weight"]
    metrics["posterior_collapsed"] = metrics["kl"] < COLLAPSE_KL
    metrics["seconds_to_success"] = log.seconds_to_success
    arrays = _latent_views(probe, config)
    interp = arrays["interpolation"]
    metrics["interpolation_valid_fraction"] = interp["valid_fraction"]
    if "max_jump" in interp:
        metrics["interpolation_max_jump"] = interp["max_jump"]
    else:
        metrics["interpolation_real_word_fraction"] = interp["real_word_fraction"]
    arrays.update(kl_heatmap=heatmap, kl_heatmap_steps=heatmap_steps, kl_weights=weights,
                  schedule_curve=[kl_weight(s, **schedule) for s in range(0, config.steps + 1,
                                                                          max(config.steps // 200, 1))],
                  schedule_steps=list(range(0, config.steps + 1, max(config.steps // 200, 1))))
    metrics["reconstruction_by_length"] = {}
    message = log.message
    if metrics["posterior_collapsed"] and log.steps > 0:
        message = (message + " " if message else "") + (
            f"Posterior collapse: KL = {metrics['kl']:.3f} nats, so z carries almost nothing "
            "and the decoder models the data on its own. Try KL annealing or word dropout.")
    if config.autoencoder_comparison and log.status not in ("stopped", "diverged"):
        comparison = run_autoencoder_comparison(config, ae_step, should_stop, device=device)
        metrics["reconstruction_by_length"] = comparison.metrics["reconstruction_by_length"]
        arrays["autoencoders"] = comparison.arrays["autoencoders"]
    success = passes(metrics, metrics["kl_weight_final"])
    return Result(lab="vrae", config=vars(config).copy(), metrics=metrics, success=success,
                  status=log.status, steps=log.steps, wall_s=time.perf_counter() - start,
                  history=log.history, arrays=arrays, message=message,
                  artifacts={"model": model, "probe": probe})


def _latent_views(probe: LatentProbe, config: Config) -> dict:
    """Figure data: the latent map, a default interpolation, prior samples, reconstructions
    and one attribute-arithmetic walk, all decoded by the trained model."""
    held = probe.examples
    mu = probe.encode_mean(held).cpu().numpy()
    xy, explained = project_2d(mu)
    i, j = _pick_pair(probe)
    labels = probe.labels()
    to_class = next((c for c in labels if c != labels[i]), labels[i])
    return {
        "latent_2d": xy.tolist(), "latent_explained": explained,
        "latent_attributes": held.attributes(),
        "latent_classes": [probe.task.class_names[c] for c in labels],
        "interpolation": probe.interpolation(i, j, points=9),
        "prior_samples": probe.prior_samples(8, 1.0, config.seed),
        "reconstructions": [probe.reconstruct(k) for k in range(4)],
        "arithmetic": probe.arithmetic(i, to_class, labels[i], [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5]),
        "examples": [probe.describe(k) for k in range(len(labels))],
    }


def run_autoencoder_comparison(config: Config, on_step=None, should_stop=None,
                               device=None) -> Result:
    """The three plain sequence-autoencoder forms on waveforms, same data and seed; a job the
    page can run on its own (run_panel key "vrae-ae")."""
    start = time.perf_counter()
    out = compare_decoder_forms(hidden=config.hidden, steps=config.ae_steps, batch=config.batch,
                                lr=config.lr, clip=config.clip, seed=config.seed,
                                device=device or pick_device(), on_step=on_step,
                                should_stop=should_stop)
    forms = out["forms"]
    metrics = {"reconstruction_by_length": {f: r["by_length"] for f, r in forms.items()},
               "teacher_forced_by_length": {f: r["teacher_forced_by_length"]
                                            for f, r in forms.items()},
               "lengths": out["lengths"]}
    stopped = any(r["status"] == "stopped" for r in forms.values()) or len(forms) < 3
    return Result(lab="vrae", config=vars(config).copy(), metrics=metrics,
                  success=not stopped, status="stopped" if stopped else "completed",
                  steps=sum(r["steps"] for r in forms.values()),
                  wall_s=time.perf_counter() - start, arrays={"autoencoders": out})


LAB = LabSpec(
    id="vrae", title="Variational Recurrent Autoencoder", order=60, icon=":material/blur_on:",
    question="Can a sequence be squeezed into one latent vector and brought back — and what "
             "does the space between two sequences look like?",
    what_you_see="ELBO, reconstruction and KL as training goes with the annealing weight, the "
                 "KL each latent dimension carries (posterior collapse shows as zeros), the "
                 "latent map coloured by a known attribute, decoded paths between two real "
                 "inputs, samples from the prior, and plain sequence autoencoders compared.",
    Config=Config, run=run,
    smoke={"steps": 20, "hidden": 8, "eval_every": 10, "ae_steps": 5},
    presets=(
        Preset("KL annealing", "Waveforms with a linear KL warm-up and word dropout: the KL "
               "stays clearly above zero and every latent unit is active.", {},
               show=("kl_schedule", "word_dropout")),
        Preset("posterior collapse", "Words, no annealing, no word dropout, a strong decoder: "
               "the KL goes to zero and the latent is ignored.",
               {"dataset": "words", "kl_schedule": "none", "word_dropout": 0.0,
                "z_every_step": False, "hidden": 64, "latent_dim": 8, "steps": 300,
                "eval_every": 100}, show=("kl_schedule", "word_dropout")),
        Preset("cyclical schedule", "The KL weight ramps up four times; watch the KL curve "
               "follow it.", {"kl_schedule": "cyclical"}, show=("kl_schedule", "kl_cycles")),
        Preset("a 2-D latent", "With two latent dimensions the map shows z itself.",
               {"latent_dim": 2}, show=("latent_dim", "beta")),
    ),
)
