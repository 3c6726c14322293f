"""Seq2seq, the bottleneck and attention: why does a fixed context vector fail on long inputs,
and what does attention look at?

Trains an encoder-decoder (core.models.seq2seq) on a transduction task
(core.tasks.transduction) and, on the same data stream and seed, the same network without
attention. Every `eval_every` steps it measures held-out accuracy on the validation stream,
which early stopping reads, and sends the probe input's attention map and a cheap accuracy by
length for the live headline figure. At the end each model is scored per input length on
fresh inputs from the test stream. Studies (d_h sweep, decoding) are in attention_studies,
the interactive probes (typed inputs, beam search, sampling) in attention_probes.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from core.analysis.decoding import greedy, score_by_length
from core.arms import Arm, Trained, finish, train_arms
from core.contract import ConfigError, LabSpec, Preset, Result, Study, knob
from core.device import build_seeded, pick_device, stream
from core.sweep.spec import SweepSpec
from core.models.seq2seq import ATTENTIONS, CELLS, Seq2Seq
from core.tasks.transduction import FIRST_SYMBOL, TASKS, TransductionTask
from core.train import train

SUCCESS_ACCURACY = 0.9  # exact-match accuracy on the test stream that counts as success
STOP_ACCURACY = 0.95  # validation accuracy of the criterion, with a margin over SUCCESS_ACCURACY
# After the accuracy criterion, training goes on until the validation alignment entropy is at
# most this fraction of the uniform ln T_x. Rows of that entropy hold on average at least
# T_x^(-0.12) of their weight on one input position (alignment.peak_weight_floor): 0.76 at
# T_x = 10, 0.85 at 4, a sharp anti-diagonal rather than a band. The default reaches it
# 0-400 steps after the criterion (seeds 0-3), within its step budget.
SHARP_RATIO = 0.12
VALIDATION_PER_LENGTH = 32  # held-out inputs per measured length, at every evaluation
TEST_PER_LENGTH = 200  # fresh inputs per length for the reported accuracy by length
CAPACITY_HIDDEN = (4, 8, 16, 32, 64)  # the context sizes d_h the capacity study trains


@dataclass
class Config:
    task: str = knob("reverse", "Task", "reverse, copy, sort, or interleave (even positions, "
                     "then odd ones).", choices=TASKS)
    attention: str = knob("dot", "Attention", "none: the decoder sees only the encoder's "
                          "final state. additive (Bahdanau), dot (Luong), general (Luong, dot "
                          "through a learned matrix).", choices=ATTENTIONS)
    compare_none: bool = knob(True, "Train the no-attention model too", "Same data, seed and "
                              "number of steps, without attention, for the bottleneck "
                              "comparison.", visible_if={"attention": ("additive", "dot",
                                                                      "general")})
    cell: str = knob("gru", "Cell", "Recurrent cell of encoder and decoder.", choices=CELLS)
    hidden: int = knob(64, "Hidden units d_h", "Size of the decoder state and of the context "
                       "vector; even, since the encoder's two directions have d_h/2 each.",
                       min=4, max=256, step=2)
    symbols: int = knob(8, "Vocabulary size V", "Letters a, b, ... in the inputs.", min=2,
                        max=26)
    min_len: int = knob(4, "Shortest training input", "Training lengths are drawn uniformly "
                        "from this to the longest.", min=1, max=30)
    max_len: int = knob(10, "Longest training input", "The probe input shown in the heatmap "
                        "has this length.", min=1, max=30)
    test_max_len: int = knob(16, "Longest measured input", "Accuracy is measured for every "
                             "length from the shortest training length up to this (at least "
                             "the longest training length); beyond the training range the "
                             "model extrapolates.", min=1, max=40)
    lr: float = knob(0.01, "Learning rate", "Adam step size.", min=1e-5, max=1.0,
                     widget="log")
    batch: int = knob(64, "Batch size", "Sequences per step (all of one length).", min=8,
                      max=512, step=8)
    steps: int = knob(1000, "Training steps", "Most optimiser steps. The accuracy criterion "
                      "(95% held out) is timed; training goes on until the attention is "
                      "sharp too, or these steps run out.", min=0, max=10000, step=5)
    eval_every: int = knob(50, "Measure every", "Steps between held-out measurements and "
                           "saved attention maps.", min=5, max=1000, step=5)
    seed: int = knob(0, "Seed", "Fixes data and initial weights.", min=0, max=2**31 - 1)

    def check(self) -> None:
        if self.min_len > self.max_len:
            raise ConfigError(f"min_len ({self.min_len}) is longer than max_len "
                              f"({self.max_len}): the shortest training input must not be "
                              "longer than the longest")


def make_task(config: Config) -> TransductionTask:
    return TransductionTask(config.task, config.symbols)


def training_lengths(config: Config) -> list[int]:
    return list(range(config.min_len, config.max_len + 1))


def measured_lengths(config: Config) -> list[int]:
    """The input lengths accuracy is measured at: the training range and beyond."""
    return list(range(config.min_len, max(config.max_len, config.test_max_len) + 1))


def probe_input(config: Config, device=None) -> torch.Tensor:
    """One fixed input of the longest training length: the headline heatmap's. Its letters
    are a random order of the alphabet (repeated only when the input is longer than V), so
    on every task each output step has one input position to look at: with a letter
    repeated, attention split between its copies would still be right and read as a blur."""
    gen = stream(config.seed, "probe")
    rounds = -(-config.max_len // config.symbols)
    order = torch.cat([torch.randperm(config.symbols, generator=gen) for _ in range(rounds)])
    source = order[:config.max_len] + FIRST_SYMBOL
    return source.to(device) if device is not None else source


def batches_by_length(task: TransductionTask, lengths, per_length: int, gen, device) -> dict:
    return {L: task.sample(per_length, L, gen, device) for L in lengths}


def _train_seq2seq(arm: Arm, steps: int, report, should_stop, is_main: bool) -> Trained:
    """Train one seq2seq on the seed's data stream, measuring on the validation stream as it
    goes, then score it per length on the test stream."""
    config: Config = arm.spec["config"]
    attention, device = arm.spec["attention"], arm.spec["device"]
    task = make_task(config)
    with torch.device(device):
        model = build_seeded(config.seed, lambda: Seq2Seq(
            task.vocab_size, arm.spec.get("hidden", config.hidden), config.cell, attention))
    data_gen = stream(config.seed, "train")
    fit_lengths, lengths = training_lengths(config), measured_lengths(config)
    validation = batches_by_length(task, lengths, VALIDATION_PER_LENGTH,
                                   stream(config.seed, "validation"), device)
    probe = probe_input(config, device)
    names_in = task.decode(probe)
    checkpoints = {"steps": [], "attention": [], "output": []}
    measured: list[int] = []  # the steps evaluated
    criterion: dict = {}
    started = time.perf_counter()

    def step_fn(step: int):
        L = fit_lengths[int(torch.randint(len(fit_lengths), (1,), generator=data_gen))]
        b = task.sample(config.batch, L, data_gen, device)
        logits, _ = model(b.source, b.decoder_input)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), b.target.reshape(-1))

    def evaluate(step: int) -> dict:
        measured.append(step)
        scores = score_by_length(model, validation)
        metrics = {"accuracy": scores.mean("accuracy", fit_lengths),
                   "token_accuracy": scores.mean("token_accuracy", fit_lengths)}
        if scores.entropy_ratio:
            metrics["alignment_entropy_ratio"] = scores.mean("entropy_ratio", fit_lengths)
        if metrics["accuracy"] >= STOP_ACCURACY and not criterion:
            criterion.update(step=step, seconds=time.perf_counter() - started)
        with torch.no_grad():
            dec = greedy(model, probe.unsqueeze(0), max_len=len(probe) + 1)
        output = task.decode(dec.tokens[0])
        live = {"step": step, "lengths": lengths, "train_lengths": fit_lengths,
                "accuracy": [scores.accuracy[L] for L in lengths],
                "input": names_in, "output": output}
        if dec.attention is not None:
            live["attention"] = np.round(dec.attention[0].cpu().numpy(), 3).tolist()
        if is_main:
            checkpoints["steps"].append(step)
            checkpoints["output"].append(output)
            if "attention" in live:
                checkpoints["attention"].append(live["attention"])
        return {**metrics, "live": live}

    def picture_done(m: dict) -> bool:  # accurate, and (with attention) sharp
        return (m["accuracy"] >= STOP_ACCURACY
                and m.get("alignment_entropy_ratio", 0.0) <= SHARP_RATIO)

    log = train(list(model.parameters()), step_fn, steps=steps, lr=config.lr, clip=1.0,
                evaluate=evaluate, eval_every=config.eval_every, is_success=picture_done,
                on_step=report, should_stop=should_stop)
    test = batches_by_length(task, lengths, TEST_PER_LENGTH, stream(config.seed, "test"),
                             device)
    scores = score_by_length(model, test, should_stop)
    return Trained(arm, model, log, summary={"scores": scores, "criterion": criterion},
                   extra={"checkpoints": checkpoints, "probe": probe.tolist()})


def _arm(config: Config, attention: str, device, name: str | None = None, **spec) -> Arm:
    return Arm(name or attention, spec={"config": config, "attention": attention,
                                        "device": device, **spec})


def length_report(scores, fit_lengths) -> dict:
    """A model's test scores: means over the training lengths and curves by length."""
    report = {"accuracy": scores.mean("accuracy", fit_lengths),
              "token_accuracy": scores.mean("token_accuracy", fit_lengths),
              "accuracy_by_length": scores.accuracy,
              "token_accuracy_by_length": scores.token_accuracy}
    if scores.entropy_ratio:
        report.update(alignment_entropy_ratio=scores.mean("entropy_ratio", fit_lengths),
                      alignment_entropy_ratio_by_length=scores.entropy_ratio,
                      alignment_peak_weight=scores.mean("peak_weight", fit_lengths))
    return report


def run(config: Config, on_step=None, should_stop=None) -> Result:
    start = time.perf_counter()
    device = pick_device()
    arms = [_arm(config, config.attention, device)]
    if config.attention != "none" and config.compare_none:
        arms.append(_arm(config, "none", device))
    trained = train_arms(arms, _train_seq2seq, steps=config.steps, on_step=on_step,
                         should_stop=should_stop, beside=True)
    main = trained[0]
    fit_lengths = training_lengths(config)
    criterion = main.summary["criterion"]
    metrics = {
        **length_report(main.summary["scores"], fit_lengths),
        "seconds_to_success": criterion.get("seconds"),
        "steps_to_success": criterion.get("step"),
        "stop_accuracy": STOP_ACCURACY, "sharp_ratio": SHARP_RATIO,
        "validation_per_length": VALIDATION_PER_LENGTH, "test_per_length": TEST_PER_LENGTH,
        "comparison": {t.name: length_report(t.summary["scores"], fit_lengths)
                       for t in trained},
    }
    arrays = {"probe": main.extra["probe"], "checkpoints": main.extra["checkpoints"],
              "lengths": measured_lengths(config), "train_lengths": fit_lengths}
    status = main.log.status
    if criterion and status == "completed":
        status = "succeeded"  # accurate in time; the extra steps only sharpened the picture
    notes = []
    ratio = metrics.get("alignment_entropy_ratio")
    if criterion and main.log.status == "completed" and ratio is not None:
        notes.append(f"Held-out accuracy reached {STOP_ACCURACY:.0%} at step "
                     f"{criterion['step']}, but the alignment entropy ratio had not fallen to "
                     f"{SHARP_RATIO} by step {main.log.steps}.")
    accuracy = metrics["accuracy"]
    return finish("attention", config, start, trained, metrics=metrics, arrays=arrays,
                  success=accuracy is not None and accuracy >= SUCCESS_ACCURACY,
                  status=status, notes=notes)


def _capacity_study(config: Config, on_step=None, should_stop=None) -> Result:
    # imported here: the studies build on this module's training, so they import it
    from core.labs.attention_studies import capacity_sweep
    return capacity_sweep(config, on_step, should_stop)


def _decoding_study(config: Config, on_step=None, should_stop=None) -> Result:
    from core.labs.attention_studies import decoding_study
    return decoding_study(config, on_step, should_stop)


LAB = LabSpec(
    id="attention", title="Seq2seq and Attention", order=20, icon=":material/visibility:",
    question="Why does a fixed context vector fail on long inputs, and what does attention "
             "look at?",
    what_you_see="The attention map forming during training, its entropy against the "
                 "uniform alignment, accuracy against input length with and without "
                 "attention, and greedy vs beam search decoding.",
    Config=Config, run=run,
    smoke={"steps": 20, "hidden": 16, "eval_every": 10, "max_len": 6, "test_max_len": 8},
    primary=("task", "attention", "compare_none", "hidden", "max_len"),
    picture=("alignment_entropy_ratio", "alignment entropy / ln T_x"),
    studies=(
        Study("capacity", "Sweep d_h (no attention)", "Trains the no-attention model at "
              "each context size d_h on the same seed and data, for the full number of steps "
              "each, and measures its accuracy per input length.", _capacity_study,
              lambda c: c.steps * len(CAPACITY_HIDDEN)),
        Study("decoding", "Decoding study (shuffle)", "On shuffle (any permutation "
              "of the input is right), trains with cross-entropy and with cross-entropy plus "
              "an entropy-matching penalty, then decodes greedily and by sampling.",
              _decoding_study, lambda c: 2 * c.steps),
    ),
    sweeps=(
        SweepSpec(name="accuracy vs length", metric="accuracy", seeds=3,
                  vary={"max_len": (5, 10, 15, 20), "attention": ("none", "dot")},
                  overrides={"compare_none": False}),
        SweepSpec(name="alignment entropy vs length", metric="alignment_entropy_ratio",
                  seeds=3, vary={"max_len": (5, 10, 15, 20), "attention": ("additive", "dot")},
                  overrides={"compare_none": False}),
    ),
    presets=(
        Preset("attention aligns", "Reverse with dot attention: the heatmap forms the "
               "anti-diagonal and the alignment entropy falls well below the uniform ln T_x. "
               "The no-attention model trains beside it on the same data.",
               {}, show=("task", "attention")),
        Preset("the bottleneck", "No attention: the decoder sees only the final encoder "
               "state. Accuracy falls with length as the input outgrows what one vector holds.",
               {"attention": "none", "compare_none": False}, show=("attention", "hidden")),
        Preset("additive attention", "Bahdanau's additive scores learn the same task; compare "
               "how sharp its alignment gets against dot attention's.",
               {"attention": "additive"}, show=("attention", "task")),
        Preset("a non-monotonic alignment", "Interleave: even positions, then odd. The "
               "alignment jumps rather than following a diagonal.",
               {"task": "interleave"}, show=("task", "attention")),
    ),
)
