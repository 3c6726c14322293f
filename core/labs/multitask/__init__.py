"""Multi-task heads: one LSTM encoder with a tagging head and a sequence head
(core.models.multitask) against two single-task models that together hold as many
parameters, on two tasks over the same sequences (core.tasks.two_tasks); the cosine between
the two losses' gradients on the shared encoder, and fixed or learned (uncertainty) loss
weights. How each model trains is in core.labs.multitask.training.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.contract import LabSpec, Preset, knob
from core.labs.multitask.training import run_multitask as run
from core.labs.multitask.verdict import verdict
from core.tasks.two_tasks import RELATEDNESS

__all__ = ["Config", "LAB", "run"]


@dataclass
class Config:
    relatedness: str = knob("related", "Second task", "related: are there many repeats (a "
                            "count of the tagging task's labels)? unrelated: is symbol 0 "
                            "more frequent than symbol 1?", choices=RELATEDNESS)
    weighting: str = knob("fixed", "Loss weights", "fixed: w·L_tag + (1 - w)·L_seq. "
                          "uncertainty: learned weights exp(-s_i) (Kendall et al. 2018).",
                          choices=("fixed", "uncertainty"))
    tag_weight: float = knob(0.5, "Tagging weight w", "Share of the tagging loss in the "
                             "fixed weighting.", min=0.05, max=0.95, step=0.05,
                             visible_if={"weighting": ("fixed",)})
    length: int = knob(30, "Sequence length", "Symbols per sequence.", min=8, max=200)
    symbols: int = knob(4, "Symbols", "Alphabet size K.", min=2, max=8)
    hidden: int = knob(32, "Hidden units", "Size of the shared LSTM's state (the single-task "
                       "models get the size that matches its parameters).", min=8, max=128,
                       step=8)
    lr: float = knob(0.01, "Learning rate", "Adam step size.", min=1e-5, max=1.0, widget="log")
    steps: int = knob(300, "Training steps", "Optimiser steps for each model (all train the "
                      "full length, so the curves show where each levels off).", min=0,
                      max=5000, step=5)
    batch: int = knob(64, "Batch size", "Sequences per step.", min=8, max=256, step=8)
    eval_every: int = knob(25, "Measure every", "Steps between measurements.", min=5,
                           max=500, step=5)
    seed: int = knob(0, "Seed", "Fixes data and initial weights.", min=0, max=2**31 - 1)


LAB = LabSpec(
    id="multitask", title="Multi-task Heads", order=91, icon=":material/call_split:",
    group="Applications",
    question="When does one encoder serving two tasks beat two models of the same total "
             "size, and when do the tasks pull it apart?",
    what_you_see="One LSTM encoder with a tagging head and a sequence head beside two "
                 "single-task models of the same total size; the cosine between the two "
                 "tasks' gradients on the shared weights as it trains; and fixed or learned "
                 "loss weights against the fixed point 1/(2 L_i).",
    Config=Config, run=run, verdict=verdict,
    smoke={"steps": 20, "eval_every": 10, "hidden": 8, "batch": 16},
    primary=("relatedness", "weighting", "tag_weight", "length"),
    picture=("accuracy_seq", "test accuracy of the shared model's sequence head"),
    presets=(
        Preset("related tasks share", "One encoder tags repeats at every step and counts "
               "them for the sequence label. The sequence task alone (same parameters in "
               "total) has no signal to find repeats with; sharing the encoder with the "
               "tagging task gives it one.",
               {}, show=("relatedness", "weighting")),
        Preset("unrelated tasks compete", "The sequence task now asks whether symbol 0 "
               "outnumbers symbol 1, which the tagging task never needs. Watch the gradient "
               "cosine and which task the shared encoder learns first.",
               {"relatedness": "unrelated"}, show=("relatedness", "weighting")),
        Preset("learned loss weights", "Uncertainty weighting learns each task's weight "
               "exp(-s_i) as it trains; at a stationary point it is 1/(2 L_i), so the task "
               "that is already solved is weighted up. The Loss weights tab shows both, and "
               "how far the learned weights got towards 1/(2 L_i) in the steps trained.",
               {"weighting": "uncertainty"}, show=("relatedness", "weighting")),
    ))
