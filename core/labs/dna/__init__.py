"""CNN–RNN hybrids on DNA: a CNN, a BiLSTM and a CNN -> BiLSTM hybrid read a regulatory
grammar (motif A before motif B, a spacing apart; core.tasks.dna_grammar) on the same data
and seed, against the best any rule that knows only which motifs occur can do. How each model
trains is in core.labs.dna.training; reading one sequence (a probe or a typed one) with a
trained model in core.labs.dna.probes.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.contract import ConfigError, LabSpec, Preset, knob
from core.labs.dna.training import run_dna as run
from core.labs.dna.verdict import verdict
from core.sweep_spec import SweepSpec

__all__ = ["Config", "LAB", "run"]


@dataclass
class Config:
    motif_width: int = knob(6, "Motif width", "Bases per motif; about a third of them "
                            "tolerate mismatches.", min=4, max=12)
    gap_max: int = knob(40, "Longest spacing", "Most bases from the end of motif A to the "
                        "start of motif B for the grammar to hold.", min=0, max=300)
    gap_min: int = knob(10, "Shortest spacing", "Fewest bases from the end of A to the start "
                        "of B.", min=0, max=300)
    length: int = knob(100, "Sequence length", "Bases per sequence.", min=20, max=400)
    mismatch: float = knob(0.1, "Mismatch rate", "Chance that a planted motif has a random "
                           "other base at each tolerant position.", min=0.0, max=0.6,
                           step=0.05)
    filters: int = knob(16, "Filters", "First-layer convolution filters (motif detectors) "
                        "of the CNN and the hybrid.", min=4, max=64, step=4)
    target_acc: float = knob(0.9, "Target accuracy", "Accuracy whose first crossing is timed "
                             "for each model.", min=0.55, max=0.99, step=0.01)
    matched: bool = knob(False, "Matched parameters", "Give the CNN the filters and the "
                         "BiLSTM the hidden units whose parameter counts are nearest the "
                         "hybrid's, so the comparison is of architecture, not of size.")
    hidden: int = knob(32, "Hidden units", "Size of each recurrent state.", min=8, max=128,
                       step=8)
    lr: float = knob(0.01, "Learning rate", "Adam step size.", min=1e-5, max=1.0, widget="log")
    steps: int = knob(300, "Training steps", "Optimiser steps for each model (all train the "
                      "full length, so the curves show where each levels off).", min=0,
                      max=5000, step=5)
    batch: int = knob(64, "Batch size", "Sequences per step.", min=8, max=256, step=8)
    eval_every: int = knob(25, "Measure every", "Steps between measurements.", min=5,
                           max=500, step=5)
    seed: int = knob(0, "Seed", "Fixes data, motifs and initial weights.", min=0,
                     max=2**31 - 1)

    def check(self) -> None:
        if self.gap_min > self.gap_max:
            raise ConfigError(f"gap_min ({self.gap_min}) is above gap_max ({self.gap_max})")
        if 2 * self.motif_width + self.gap_max > self.length:
            raise ConfigError(f"two motifs of width {self.motif_width} with gap_max "
                              f"{self.gap_max} need length >= "
                              f"{2 * self.motif_width + self.gap_max}, not {self.length}")


LAB = LabSpec(
    id="dna", title="CNN–RNN Hybrids on DNA", order=90, icon=":material/biotech:",
    group="Applications",
    question="Why read DNA with a CNN feeding a BiLSTM, when a CNN or an LSTM alone cannot "
             "follow the order of its motifs?",
    what_you_see="A CNN → BiLSTM hybrid reading motif order in DNA where a CNN or a BiLSTM "
                 "alone cannot, against the best any rule that knows only which motifs occur "
                 "can do; the filters it learned as sequence logos beside the planted motifs; "
                 "and its saliency along a sequence you can type.",
    Config=Config, run=run, verdict=verdict,
    smoke={"steps": 20, "eval_every": 10, "hidden": 8, "length": 60, "gap_max": 20,
           "filters": 8, "batch": 16},
    primary=("motif_width", "gap_min", "gap_max", "length", "mismatch"),
    picture=("hybrid_lead", "hybrid test accuracy minus the better single model's"),
    sweeps=(
        # spacing 0 to gap_max: the motifs fit the CNN's receptive field (17 bases at width
        # 6) only when gap_max is small, so the hybrid's lead should grow with the spacing
        SweepSpec(name="hybrid lead vs spacing", metric="hybrid_lead", seeds=3,
                  vary={"gap_max": (2, 10, 20, 40)}, overrides={"gap_min": 0}),
    ),
    presets=(
        Preset("hybrid reads the grammar", "Motif A must come before motif B, 10 to 40 "
               "bases later. The CNN finds the motifs but cannot order them that far apart, "
               "so the dotted line (the best any rule that only knows which motifs occur "
               "can do) is as high as it can go, and in the 300 steps trained here it stays "
               "below it; the BiLSTM on raw bases is slow to start; the hybrid gets there. "
               "The Logos tab shows what its filters learned.",
               {}, show=("motif_width", "gap_max", "mismatch")),
        Preset("motifs side by side", "Spacing 0 to 2 bases: both motifs fit inside the CNN's "
               "receptive field, so it can see their order and rises past the presence-only "
               "line with the hybrid.",
               {"gap_min": 0, "gap_max": 2}, show=("gap_max", "motif_width")),
        Preset("sloppy motifs", "Half the tolerant positions of every planted motif are "
               "mutated: the planted logos' tolerant columns carry less information, and so "
               "do the learned filters'.",
               {"mismatch": 0.5}, show=("mismatch", "motif_width")),
    ))
