"""Variational recurrent autoencoder: can a sequence be squeezed into one latent vector and
brought back — and what does the space between two sequences look like?

Trains a VRAE (core.models.vrae) on waveforms or words with the ELBO
    L = E_q[log p(x|z)] − β·w(step)·KL(q(z|x) ‖ N(0, I)),
w being the KL annealing weight (core.analysis.latent.kl_weight). Every `eval_every` steps
it measures, on a validation set, the reconstruction term, the KL per latent dimension and
the number of active units, so posterior collapse (KL → 0, no active units) shows as it
happens; and it decodes the path between two test inputs of different classes, the live
headline figure. The reported numbers come from a separate test set. Studies: which single
lever prevents collapse (`levers`), and plain sequence autoencoders (core.labs.vrae.studies).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import torch

from core.analysis.latent import SCHEDULES, kl_weight
from core.analysis.latent_probes import LatentProbe
from core.labs.vrae.verdict import (KL_MIN, MAX_RMSE, MIN_ACTIVE, MIN_LETTER_ACCURACY,
                                    verdict)
from core.measure import measured_arms, stop_point, stoppable, stopped_result
from core.arms import Arm, Trained, finish, run_status, train_arms
from core.contract import LabSpec, Preset, Result, Study, knob
from core.device import build_seeded, pick_device, stream
from core.sweep_spec import SweepSpec
from core.labs.vrae.studies import compare_autoencoders
from core.models.vrae import VRAE
from core.tasks.waveforms import Waveforms
from core.tasks.words import Words
from core.train import train

COLLAPSE_KL = 0.1  # below this the posterior is (nearly) the prior: collapse warning
VALIDATION_SIZE = 256  # inputs early stopping reads
TEST_SIZE = 256  # inputs the reported numbers, the latent map and the paths come from
PATH_POINTS = 7  # decoded points on the headline path
# The knobs that decide whether z is used, each set "off" in the collapsed baseline and
# "on" by exactly one lever: the single-factor story of the presets and the `levers` study.
LEVERS_OFF = {"kl_schedule": "none", "word_dropout": 0.0, "z_every_step": False,
              "obs_std": 0.5}
LEVERS_ON = {"kl_schedule": "linear", "word_dropout": 0.75, "z_every_step": True,
             "obs_std": 0.1}
LEVER_LABELS = {"kl_schedule": "+ KL annealing", "word_dropout": "+ word dropout",
                "z_every_step": "+ z every step", "obs_std": "+ σ_x = 0.1"}
BASELINE_LABEL = "every lever off"


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
                      "annealing is done and KL, active units and reconstruction pass on the "
                      "validation set.", min=0, max=10000, step=5)
    eval_every: int = knob(50, "Measure every", "Steps between validation measurements "
                           "(and redraws of the path).", min=1, max=1000)
    ae_steps: int = knob(300, "Autoencoder steps", "Training steps per decoder form in the "
                         "plain autoencoder study.", min=0, max=5000, step=5)
    seed: int = knob(0, "Seed", "Fixes data and initial weights.", min=0, max=2**31 - 1)


def make_task(config: Config):
    return Waveforms(seq_len=config.seq_len) if config.dataset == "waveforms" else Words()


def held_out(task, part: str, n: int, seed: int, device):
    """`n` inputs from the run's `part` stream; words come from that part of the word list."""
    gen = stream(seed, part)
    if task.kind == "discrete":
        return task.sample(n, gen, device, part=part)
    return task.sample(n, gen, device)


def passes(metrics: dict, weight: float) -> bool:
    """Success: annealing finished, KL clearly above zero, enough active units, and the
    latent mean alone reconstructs the input (free-running)."""
    quality = (metrics["free_running_rmse"] <= MAX_RMSE if "free_running_rmse" in metrics
               else metrics["free_running_letter_accuracy"] >= MIN_LETTER_ACCURACY)
    return (weight >= 0.999 and metrics["kl"] >= KL_MIN
            and metrics["active_units"] >= MIN_ACTIVE and quality)


@dataclass(frozen=True)
class VRAESpec:
    """What one arm of the VRAE lab trains: the run's (or a lever's) Config and the device."""
    config: Config
    device: object


@stoppable
def _train_vrae(arm: Arm, steps: int, report, should_stop) -> Trained:
    """Train one VRAE on the seed's streams, measuring on the validation set (which early
    stopping reads) and redrawing the path between two test inputs as it goes."""
    spec: VRAESpec = arm.spec
    config, device = spec.config, spec.device
    task = make_task(config)
    with torch.device(device):
        model = build_seeded(config.seed, lambda: VRAE(
            task.kind, hidden=config.hidden, latent_dim=config.latent_dim,
            vocab_size=getattr(task, "vocab_size", 0), z_every_step=config.z_every_step,
            classes=task.classes if config.conditional else 0))
    data_gen, noise_gen = stream(config.seed, "train"), stream(config.seed, "noise")
    validation = LatentProbe(model, task, held_out(task, "validation", VALIDATION_SIZE,
                                                   config.seed, device))
    test = LatentProbe(model, task, held_out(task, "test", TEST_SIZE, config.seed, device))
    pair = test.pair_of_two_classes()
    heatmap, heatmap_steps, weights = [], [], []
    schedule = dict(total_steps=config.steps, schedule=config.kl_schedule,
                    warmup_fraction=config.warmup_fraction, cycles=config.kl_cycles)

    def step_fn(step: int):
        batch = task.sample(config.batch, data_gen, device)
        terms = model.elbo_terms(batch, word_dropout=config.word_dropout,
                                 obs_std=config.obs_std, gen=noise_gen)
        w = kl_weight(step, **schedule)
        recon, kl = terms.reconstruction.mean(), terms.kl.sum(1).mean()
        return recon + config.beta * w * kl, {"reconstruction": recon.detach(),
                                              "kl": kl.detach(), "kl_weight": w}

    def evaluate(step: int) -> dict:
        # the same ε at every measurement, so the curves move with the model, not the draw
        metrics = validation.measure(config.obs_std, stream(config.seed, "statistics"))
        weight = kl_weight(step, **schedule)
        heatmap.append(metrics["kl_per_dim"])
        heatmap_steps.append(step)
        weights.append(weight)
        live = {**test.path_payload(*pair, PATH_POINTS), "step": step, "kl": metrics["kl"],
                "kl_weight": weight}
        return {**{k: v for k, v in metrics.items() if not isinstance(v, list)},
                "kl_weight": weight, "live": live}

    # the untrained model first: the headline shows at once, every point decoding alike
    first = evaluate(0) if steps > 0 else None
    if first is not None and report is not None:
        report(0, {**first, "eval": True})
    log = train(list(model.parameters()), step_fn, steps=steps, lr=config.lr, clip=config.clip,
                evaluate=evaluate, eval_every=config.eval_every,
                is_success=lambda m: passes(m, m["kl_weight"]), on_step=report,
                should_stop=should_stop)
    if first is not None:
        log.history.insert(0, {"step": 0, **{k: v for k, v in first.items() if k != "live"},
                               "eval": True})
    stop_point(should_stop, "test KL, active units and reconstructions", log, model)
    summary = test.measure(config.obs_std, stream(config.seed, "statistics"))
    summary["kl_weight_final"] = weights[-1]
    return Trained(arm, model, log, summary=summary,
                   extra={"probe": test, "pair": pair, "heatmap": heatmap,
                          "heatmap_steps": heatmap_steps, "weights": weights})


def run(config: Config, on_step=None, should_stop=None) -> Result:
    start = time.perf_counter()
    [main] = train_arms([Arm("vrae", spec=VRAESpec(config, pick_device()))],
                        _train_vrae, steps=config.steps, on_step=on_step,
                        should_stop=should_stop)
    stopped = stopped_result(config, start, [main], should_stop, [Arm("vrae")])
    if stopped is not None:
        return stopped
    probe, pair = main.extra["probe"], main.extra["pair"]
    metrics = dict(main.summary, posterior_collapsed=main.summary["kl"] < COLLAPSE_KL)
    path = probe.interpolation(*pair, points=PATH_POINTS)
    metrics["interpolation_valid_fraction"] = path["valid_fraction"]
    if "max_jump" in path:
        metrics["interpolation_max_jump"] = path["max_jump"]
        metrics["interpolation_even_step"] = path["even_step"]
        metrics["interpolation_end_rmse"] = path["end_rmse"]
    else:
        metrics["interpolation_real_word_fraction"] = path["real_word_fraction"]
    every = max(config.steps // 200, 1)
    schedule_steps = list(range(0, config.steps + 1, every))
    arrays = {**probe.views(config.seed, pair), "path_pair": list(pair),
              "kl_heatmap": main.extra["heatmap"], "kl_heatmap_steps": main.extra["heatmap_steps"],
              "schedule_steps": schedule_steps,
              "schedule_curve": [kl_weight(s, config.steps, config.kl_schedule,
                                           config.warmup_fraction, config.kl_cycles)
                                 for s in schedule_steps]}
    notes = []
    if metrics["posterior_collapsed"] and main.log.steps > 0:
        notes.append(f"Posterior collapse: KL = {metrics['kl']:.3f} nats on the test set, so z "
                     "carries almost nothing and the decoder models the data on its own. Try "
                     "one lever at a time: KL annealing, word dropout, z at every step, or a "
                     "smaller σ_x.")
    return finish(config, start, [main], metrics=metrics, arrays=arrays, notes=notes,
                  success=passes(metrics, metrics["kl_weight_final"]),
                  artifacts={"probe": probe})


def lever_configs(config: Config) -> dict[str, Config]:
    """The collapsed baseline (every lever off, the rest as `config`) and, for each lever,
    the baseline with that one knob switched on."""
    baseline = dataclasses.replace(config, **LEVERS_OFF)
    return {BASELINE_LABEL: baseline, **{
        LEVER_LABELS[name]: dataclasses.replace(baseline, **{name: value})
        for name, value in LEVERS_ON.items()
        if config.dataset == "waveforms" or name != "obs_std"}}


def study_levers(config: Config, on_step=None, should_stop=None) -> Result:
    """Single-factor study of posterior collapse: the baseline with every lever off, then one
    run per lever with only that knob changed, same seed and data; KL and active units of
    each on the test set."""
    start = time.perf_counter()
    device = pick_device()
    arms = [Arm(name, spec=VRAESpec(c, device))
            for name, c in lever_configs(config).items()]
    trained = train_arms(arms, _train_vrae, steps=config.steps, on_step=on_step,
                         should_stop=should_stop, rivals_match_main=False)
    trained = measured_arms(trained)
    by_arm = {t.name: {"kl": t.summary["kl"], "active_units": t.summary["active_units"],
                       "collapsed": t.summary["kl"] < COLLAPSE_KL} for t in trained}
    return finish(config, start, trained, metrics={"levers": by_arm, "kl_clear": KL_MIN},
                  success=len(trained) == len(arms),
                  status=run_status(trained, len(arms), success=False),
                  steps=sum(t.log.steps for t in trained))


LAB = LabSpec(
    id="vrae", title="Variational Recurrent Autoencoder", order=60, icon=":material/blur_on:",
    question="Can a sequence be squeezed into one latent vector and brought back — and what "
             "does the space between two sequences look like?",
    what_you_see="The path between two held-out inputs decoded as training goes, ELBO, "
                 "reconstruction and KL with the annealing weight, the KL each latent "
                 "dimension carries (posterior collapse shows as zeros), the latent map, samples "
                 "from the prior, and plain sequence autoencoders compared.",
    Config=Config, run=run, verdict=verdict,
    smoke={"steps": 20, "hidden": 8, "eval_every": 10, "ae_steps": 5},
    primary=("dataset", "kl_schedule", "word_dropout", "z_every_step", "obs_std", "latent_dim"),
    picture=("interpolation_end_rmse", "RMSE of the decoded path's ends against its two "
                                       "test inputs"),
    studies=(
        Study("levers", "Which lever prevents collapse", "Trains the settings with every lever "
              "off (no annealing, no word dropout, z only in the initial state, σ_x = 0.5), "
              "then once per lever with only that knob on, same seed and data.",
              study_levers, lambda c: c.steps * len(lever_configs(c))),
        Study("autoencoders", "Compare plain autoencoders", "Trains the three deterministic "
              "decoder forms on waveforms with the same data and seed (hidden size, batch, "
              "learning rate and seed from the settings; Autoencoder steps per form).",
              compare_autoencoders, lambda c: 3 * c.ae_steps),
    ),
    sweeps=(SweepSpec(name="KL vs annealing schedule", metric="kl", seeds=3,
                      vary={"kl_schedule": ("none", "linear", "sigmoid", "cyclical")}),),
    presets=(
        Preset("collapse: every lever off", "No KL annealing, no word dropout, z only in the "
               "decoder's initial state, a loose likelihood (σ_x = 0.5): the KL falls to zero "
               "and no latent unit is active. Each preset below changes exactly one of these "
               "four knobs.", dict(LEVERS_OFF),
               show=("kl_schedule", "word_dropout", "z_every_step", "obs_std")),
        Preset("lever: KL annealing", "The collapsed settings with only the KL weight ramped "
               "from 0 to 1 over half of training.", {**LEVERS_OFF, "kl_schedule": "linear"},
               show=("kl_schedule", "warmup_fraction")),
        Preset("lever: word dropout", "The collapsed settings with only 75% of the decoder's "
               "previous values hidden.", {**LEVERS_OFF, "word_dropout": 0.75},
               show=("word_dropout",)),
        Preset("lever: z at every step", "The collapsed settings with only z fed to every "
               "decoder step.", {**LEVERS_OFF, "z_every_step": True}, show=("z_every_step",)),
        Preset("lever: σ_x", "The collapsed settings with only a tighter likelihood, σ_x = 0.1, "
               "so reconstruction errors cost 25 times more against the KL.",
               {**LEVERS_OFF, "obs_std": 0.1}, show=("obs_std",)),
        Preset("cyclical schedule", "The KL weight ramps up again and again (Cycles sets how "
               "often); watch the KL curve follow it.", {"kl_schedule": "cyclical"},
               show=("kl_schedule", "kl_cycles")),
        Preset("a 2-D latent", "With two latent dimensions the map shows z itself.",
               {"latent_dim": 2}, show=("latent_dim", "beta")),
    ),
)
