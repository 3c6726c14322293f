"""Rare events and supervision density: an LSTM detector on long streams where a step
rarely ends an event (core.tasks.rare_events), trained with plain, class-weighted or focal
loss on labels at every step, or with labels at every step, every k steps or at the end only;
measured against the all-negative classifier. How each detector trains and is measured is in
core.labs.events.training.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.analysis.imbalance import LOSSES
from core.contract import ConfigError, LabSpec, Preset, knob
from core.labs.events.training import run_events as run
from core.labs.events.verdict import verdict
from core.sweep_spec import SweepSpec

__all__ = ["Config", "LAB", "run"]


@dataclass
class Config:
    compare: str = knob("losses", "Compare", "losses: plain, class-weighted and focal loss, "
                        "labels at every step. densities: labels at every step, every k "
                        "steps and at the end only.", choices=("losses", "densities"))
    event_pct: float = knob(0.5, "Event rate (% of steps)", "Percent chance that a step "
                            "starts an event.", min=0.1, max=20.0, step=0.1)
    loss: str = knob("weighted", "Loss", "The headline model's loss (and, comparing "
                     "densities, every model's).", choices=LOSSES)
    focal_gamma: float = knob(2.0, "Focal γ", "Focusing exponent: (1 - p_t)^γ scales each "
                              "example's loss.", min=0.0, max=5.0, step=0.5)
    label_every: int = knob(20, "Label every k steps", "Spacing of the labels in the "
                            "every-k density.", min=2, max=500,
                            visible_if={"compare": ("densities",)})
    stream_len: int = knob(150, "Stream length", "Steps per stream.", min=20, max=1000)
    event_height: float = knob(1.5, "Event amplitude", "Height of the event signature "
                               "against noise of standard deviation 1.", min=0.5, max=4.0,
                               step=0.1)
    hidden: int = knob(32, "Hidden units", "Size of each detector's LSTM state.", min=8,
                       max=128, step=8)
    lr: float = knob(0.01, "Learning rate", "Adam step size.", min=1e-5, max=1.0, widget="log")
    steps: int = knob(300, "Training steps", "Optimiser steps for each model (all train the "
                      "full length, so the curves show where each levels off).", min=0,
                      max=5000, step=5)
    batch: int = knob(64, "Batch size", "Streams per step.", min=8, max=256, step=8)
    eval_every: int = knob(25, "Measure every", "Steps between measurements.", min=5,
                           max=500, step=5)
    seed: int = knob(0, "Seed", "Fixes data and initial weights.", min=0, max=2**31 - 1)

    def check(self) -> None:
        if self.label_every >= self.stream_len:
            raise ConfigError(f"label_every ({self.label_every}) must be below stream_len "
                              f"({self.stream_len})")


LAB = LabSpec(
    id="events", title="Rare Events", order=92, icon=":material/notifications_active:",
    group="Applications",
    question="Why does plain cross-entropy never predict a rare event, and what do class "
             "weights, focal loss and labels at every step change?",
    what_you_see="Event detectors on long streams where about one step in 200 ends an event: "
                 "plain cross-entropy that says 'never' while its accuracy beats 99%, class "
                 "weights and focal loss that rank the events, precision-recall curves beside "
                 "the all-negative classifier, and the gradient that a label only at the end "
                 "sends back to the early steps.",
    Config=Config, run=run, verdict=verdict,
    smoke={"steps": 20, "eval_every": 10, "hidden": 8, "batch": 16, "stream_len": 60},
    primary=("compare", "event_pct", "loss", "label_every"),
    picture=("score", "the headline detector's PR-AUC (losses) or detection ROC AUC "
                      "(densities)"),
    sweeps=(
        SweepSpec(name="plain loss recall vs event rate", metric="recall_by_model.plain",
                  seeds=3, vary={"event_pct": (0.5, 2.0, 5.0, 10.0)},
                  overrides={"loss": "plain"}),
    ),
    presets=(
        Preset("rare events", "About one step in 200 ends an event (the grey line is the "
               "measured rate: the all-negative classifier's PR-AUC). Plain cross-entropy "
               "learns to say 'never' at threshold ½ (its recall, dotted, stays near 0) while "
               "its accuracy beats 99%; class weights find most events at ½, at the price of "
               "false alarms, and both they and focal loss rank the events better (PR-AUC, "
               "solid). The Precision-recall tab shows every threshold.",
               {"loss": "plain"}, show=("event_pct", "loss")),
        Preset("supervision density", "The same events, labelled at every step, every 20 "
               "steps, or once at the end. With one label at the end the gradient reaching "
               "the early steps all but vanishes and learning stalls.",
               {"compare": "densities", "loss": "weighted"},
               show=("compare", "label_every")),
    ))
