"""Seq2seq, the bottleneck and attention: why does a fixed context vector fail on long inputs,
and what does attention look at?

Trains an encoder-decoder (core.models.seq2seq) on a transduction task
(core.tasks.transduction) and, on the same data stream and seed, the same network without
attention. Every `eval_every` steps it measures held-out accuracy on the validation stream,
which early stopping reads, and sends the probe input's attention map and a cheap accuracy by
length for the live headline figure. At the end each model is scored per input length on
fresh inputs from the test stream. Training is in training.py, the studies (d_h sweep,
decoding) in studies.py, the interactive probes (typed inputs, beam search, sampling) in
probes.py.
"""
from __future__ import annotations

import time
from dataclasses import dataclass


from core.labs.attention.verdict import SUCCESS_ACCURACY, verdict
from core.measure import stopped_result
from core.arms import finish, train_arms
from core.contract import ConfigError, LabSpec, Preset, Result, Study, knob
from core.device import pick_device
from core.sweep_spec import SweepSpec
from core.models.seq2seq import ATTENTIONS, CELLS
from core.tasks.transduction import TASKS
from core.labs.attention.studies import CAPACITY_HIDDEN, capacity_sweep, decoding_study
from core.labs.attention.training import (SHARP_RATIO, STOP_ACCURACY, TEST_PER_LENGTH,
                                          VALIDATION_PER_LENGTH, length_report, make_task,
                                          measured_lengths, probe_input, seq2seq_arm,
                                          train_seq2seq, training_lengths)


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


def run(config: Config, on_step=None, should_stop=None) -> Result:
    start = time.perf_counter()
    device = pick_device()
    arms = [seq2seq_arm(config, config.attention, device)]
    if config.attention != "none" and config.compare_none:
        arms.append(seq2seq_arm(config, "none", device))
    trained = train_arms(arms, train_seq2seq, steps=config.steps, on_step=on_step,
                         should_stop=should_stop, beside=True)
    stopped = stopped_result(config, start, trained, should_stop, arms)
    if stopped is not None:
        return stopped
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
    return finish(config, start, trained, metrics=metrics, arrays=arrays,
                  success=accuracy is not None and accuracy >= SUCCESS_ACCURACY,
                  status=status, notes=notes)


LAB = LabSpec(
    id="attention", title="Seq2seq and Attention", order=20, icon=":material/visibility:",
    question="Why does a fixed context vector fail on long inputs, and what does attention "
             "look at?",
    what_you_see="The attention map forming during training, its entropy against the "
                 "uniform alignment, accuracy against input length with and without "
                 "attention, and greedy vs beam search decoding.",
    Config=Config, run=run, verdict=verdict,
    smoke={"steps": 20, "hidden": 16, "eval_every": 10, "max_len": 6, "test_max_len": 8},
    primary=("task", "attention", "compare_none", "hidden", "max_len"),
    picture=("alignment_entropy_ratio", "alignment entropy / ln T_x"),
    studies=(
        Study("capacity", "Sweep d_h (no attention)", "Trains the no-attention model at "
              "each context size d_h on the same seed and data, for the full number of steps "
              "each, and measures its accuracy per input length.", capacity_sweep,
              lambda c: c.steps * len(CAPACITY_HIDDEN)),
        Study("decoding", "Decoding study (shuffle)", "On shuffle (any permutation "
              "of the input is right), trains with cross-entropy and with cross-entropy plus "
              "an entropy-matching penalty, then decodes greedily and by sampling.",
              decoding_study, lambda c: 2 * c.steps),
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
