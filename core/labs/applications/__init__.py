"""Applications: recurrent networks at work — a CNN -> BiLSTM hybrid reading DNA grammar,
one encoder serving two tasks, rare events in a long stream, anomalies a sequence
autoencoder cannot reconstruct.

One lab in four sections; the `section` knob chooses what Train trains, and each section's
knobs are shown only for it. The sections live in core/labs/applications_<section>.py.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.analysis.imbalance import LOSSES
from core.contract import ConfigError, LabSpec, Preset, knob
from core.labs.applications.anomaly import run_anomaly
from core.labs.applications.dna import run_dna
from core.labs.applications.events import run_events
from core.labs.applications.multitask import run_multitask
from core.models.seq_autoencoder import FORMS
from core.sweep_spec import SweepSpec
from core.tasks.two_tasks import RELATEDNESS

SECTIONS = ("dna", "multitask", "events", "anomaly")


def _only(section: str, **more) -> dict:
    return {"section": (section,), **more}


@dataclass
class Config:
    section: str = knob("dna", "Section", "dna: a CNN, a BiLSTM and a CNN → BiLSTM hybrid "
                        "read a motif grammar. multitask: one encoder, two tasks. events: rare "
                        "events and supervision density. anomaly: a sequence autoencoder "
                        "scores what it cannot reconstruct.", choices=SECTIONS)
    # -- dna --
    motif_width: int = knob(6, "Motif width", "Bases per motif; about a third of them "
                            "tolerate mismatches.", min=4, max=12, visible_if=_only("dna"))
    gap_max: int = knob(40, "Longest spacing", "Most bases from the end of motif A to the "
                        "start of motif B for the grammar to hold.", min=0, max=300,
                        visible_if=_only("dna"))
    gap_min: int = knob(10, "Shortest spacing", "Fewest bases from the end of A to the start "
                        "of B.", min=0, max=300, visible_if=_only("dna"))
    dna_length: int = knob(100, "Sequence length", "Bases per sequence.", min=20, max=400,
                           visible_if=_only("dna"))
    mismatch: float = knob(0.1, "Mismatch rate", "Chance that a planted motif has a "
                                "random other base at each tolerant position.", min=0.0,
                                max=0.6, step=0.05, visible_if=_only("dna"))
    filters: int = knob(16, "Filters", "First-layer convolution filters (motif detectors) "
                        "of the CNN and the hybrid.", min=4, max=64, step=4,
                        visible_if=_only("dna"))
    target_acc: float = knob(0.9, "Target accuracy", "Accuracy whose first crossing "
                                  "is timed for each model.", min=0.55, max=0.99, step=0.01,
                                  visible_if=_only("dna"))
    # -- multitask --
    relatedness: str = knob("related", "Second task", "related: are there many repeats (a "
                            "count of the tagging task's labels)? unrelated: is symbol 0 "
                            "more frequent than symbol 1?", choices=RELATEDNESS,
                            visible_if=_only("multitask"))
    weighting: str = knob("fixed", "Loss weights", "fixed: w·L_tag + (1 - w)·L_seq. "
                          "uncertainty: learned weights exp(-s_i) (Kendall et al. 2018).",
                          choices=("fixed", "uncertainty"), visible_if=_only("multitask"))
    tag_weight: float = knob(0.5, "Tagging weight w", "Share of the tagging loss in the "
                             "fixed weighting.", min=0.05, max=0.95, step=0.05,
                             visible_if=_only("multitask", weighting=("fixed",)))
    mt_length: int = knob(30, "Sequence length", "Symbols per sequence.", min=8, max=200,
                          visible_if=_only("multitask"))
    symbols: int = knob(4, "Symbols", "Alphabet size K.", min=2, max=8,
                        visible_if=_only("multitask"))
    # -- events --
    event_compare: str = knob("losses", "Compare", "losses: plain, class-weighted and focal "
                              "loss, labels at every step. densities: labels at every step, "
                              "every k steps and at the end only.",
                              choices=("losses", "densities"), visible_if=_only("events"))
    event_pct: float = knob(0.5, "Event rate (% of steps)", "Percent chance that a step "
                            "starts an event.", min=0.1, max=20.0, step=0.1,
                            visible_if=_only("events"))
    event_loss: str = knob("weighted", "Loss", "The headline model's loss (and, comparing "
                           "densities, every model's).", choices=LOSSES,
                           visible_if=_only("events"))
    focal_gamma: float = knob(2.0, "Focal γ", "Focusing exponent: (1 - p_t)^γ scales each "
                              "example's loss.", min=0.0, max=5.0, step=0.5,
                              visible_if=_only("events"))
    label_every: int = knob(20, "Label every k steps", "Spacing of the labels in the "
                            "every-k density.", min=2, max=500,
                            visible_if=_only("events", event_compare=("densities",)))
    stream_len: int = knob(150, "Stream length", "Steps per stream.", min=20, max=1000,
                              visible_if=_only("events"))
    event_height: float = knob(1.5, "Event amplitude", "Height of the event signature "
                                  "against noise of standard deviation 1.", min=0.5,
                                  max=4.0, step=0.1, visible_if=_only("events"))
    # -- anomaly --
    ae_form: str = knob("repeat", "Decoder", "repeat: the code is copied to every step "
                        "(return_sequences=False). sequence: the decoder reads every encoder "
                        "state (no bottleneck). autoregressive: it reads the previous value.",
                        choices=FORMS, visible_if=_only("anomaly"))
    compare_forms: bool = knob(True, "Compare decoders", "Also train the other two decoder "
                               "forms on the same data.", visible_if=_only("anomaly"))
    anomaly_size: float = knob(1.0, "Anomaly size", "Scale of the injected anomalies (the "
                               "wave's amplitude is about 1).", min=0.1, max=3.0, step=0.1,
                               visible_if=_only("anomaly"))
    anomalies: int = knob(4, "Anomalies per series", "Spikes, shifts, noise bursts and "
                              "stuck stretches, in turn.", min=1, max=10,
                              visible_if=_only("anomaly"))
    window: int = knob(24, "Window", "Steps the autoencoder reads and reconstructs.", min=8,
                       max=96, step=4, visible_if=_only("anomaly"))
    # -- every section --
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
        if 2 * self.motif_width + self.gap_max > self.dna_length:
            raise ConfigError(f"two motifs of width {self.motif_width} with gap_max "
                              f"{self.gap_max} need dna_length >= "
                              f"{2 * self.motif_width + self.gap_max}, not {self.dna_length}")
        if self.label_every >= self.stream_len:
            raise ConfigError(f"label_every ({self.label_every}) must be below stream_len "
                              f"({self.stream_len})")


RUNS = {"dna": run_dna, "multitask": run_multitask, "events": run_events,
        "anomaly": run_anomaly}


def run(config: Config, on_step=None, should_stop=None):
    return RUNS[config.section](config, on_step=on_step, should_stop=should_stop)


LAB = LabSpec(
    id="applications", title="Applications", order=90, icon=":material/biotech:",
    question="How do recurrent networks earn their keep on DNA, on several tasks at once, "
             "on rare events and on anomalies?",
    what_you_see="A CNN → BiLSTM hybrid reading motif order in DNA where a CNN or an LSTM "
                 "alone cannot, its filters as sequence logos; one encoder serving two tasks "
                 "and the cosine between their gradients; rare events that plain "
                 "cross-entropy never predicts, and what labels at every step change; a "
                 "sequence autoencoder scoring anomalies it cannot reconstruct.",
    Config=Config, run=run,
    smoke={"steps": 20, "eval_every": 10, "hidden": 8, "dna_length": 60, "gap_max": 20,
           "filters": 8, "batch": 16},
    primary=("section", "motif_width", "gap_max", "dna_length", "mismatch",
             "relatedness", "weighting", "tag_weight", "event_compare", "event_pct",
             "event_loss", "ae_form", "compare_forms", "anomaly_size"),
    picture=("hybrid_lead", "hybrid test accuracy minus the better single model's"),
    sweeps=(
        # spacing 0 to gap_max: the motifs fit the CNN's receptive field (17 bases at width
        # 6) only when gap_max is small, so the hybrid's lead should grow with the spacing
        SweepSpec(name="hybrid lead vs spacing", metric="hybrid_lead", seeds=3,
                  vary={"gap_max": (2, 10, 20, 40)}, overrides={"gap_min": 0}),
        SweepSpec(name="plain loss recall vs event rate", metric="recall_by_model.plain",
                  seeds=3, vary={"event_pct": (0.5, 2.0, 5.0, 10.0)},
                  overrides={"section": "events", "event_loss": "plain"}),
    ),
    presets=(
        Preset("hybrid reads the grammar", "Motif A must come before motif B, 10 to 40 "
               "bases later. The CNN finds the motifs but cannot order them that far apart, "
               "so it levels off near the dotted line (the best any rule that only knows "
               "which motifs occur can do); the BiLSTM on raw bases is slow to start; the "
               "hybrid gets there. The Logos tab shows what its filters learned.",
               {}, show=("section", "motif_width", "gap_max", "mismatch")),
        Preset("motifs side by side", "Spacing 0 to 2 bases: both motifs fit inside the CNN's "
               "receptive field, so it can see their order and rises past the presence-only "
               "line with the hybrid.",
               {"gap_min": 0, "gap_max": 2}, show=("section", "gap_max", "motif_width")),
        Preset("sloppy motifs", "Half the tolerant positions of every planted motif are "
               "mutated: the planted logos' tolerant columns carry less information, and so "
               "do the learned filters'.",
               {"mismatch": 0.5}, show=("section", "mismatch", "motif_width")),
        Preset("related tasks share", "One encoder tags repeats at every step and counts "
               "them for the sequence label. The sequence task alone (same parameters in "
               "total) has no signal to find repeats with; sharing the encoder with the "
               "tagging task gives it one.",
               {"section": "multitask"}, show=("section", "relatedness", "weighting")),
        Preset("unrelated tasks compete", "The sequence task now asks whether symbol 0 "
               "outnumbers symbol 1, which the tagging task never needs. Watch the gradient "
               "cosine and which task the shared encoder learns first.",
               {"section": "multitask", "relatedness": "unrelated"},
               show=("section", "relatedness", "weighting")),
        Preset("learned loss weights", "Uncertainty weighting learns each task's weight "
               "exp(-s_i) as it trains; at a stationary point it is 1/(2 L_i), so the task "
               "that is already solved is weighted up. The Loss weights tab shows both.",
               {"section": "multitask", "weighting": "uncertainty"},
               show=("section", "relatedness", "weighting")),
        Preset("rare events", "About one step in 200 ends an event (the grey line is the "
               "measured rate: the all-negative classifier's PR-AUC). Plain cross-entropy "
               "learns to say 'never' at threshold ½ (its recall, dotted, stays near 0) while "
               "its accuracy beats 99%; class weights find most events at ½, at the price of "
               "false alarms, and both they and focal loss rank the events better (PR-AUC, "
               "solid). The Precision-recall tab shows every threshold.",
               {"section": "events", "event_loss": "plain"},
               show=("section", "event_pct", "event_loss")),
        Preset("supervision density", "The same events, labelled at every step, every 20 "
               "steps, or once at the end. With one label at the end the gradient reaching "
               "the early steps all but vanishes and learning stalls.",
               {"section": "events", "event_compare": "densities", "event_loss": "weighted"},
               show=("section", "event_compare", "label_every")),
        Preset("anomalies by reconstruction", "Trained on normal waves only, the bottleneck "
               "autoencoder reconstructs them and fails on the injected anomalies (shaded). "
               "The decoder that reads every encoder state has no bottleneck: it copies the "
               "anomalies too, and its ROC curve (tab) sits lower.",
               {"section": "anomaly"}, show=("section", "ae_form", "anomaly_size")),
    ))
