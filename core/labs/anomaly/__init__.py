"""Anomaly detection with sequence autoencoders: trained on normal waves only, an LSTM
autoencoder (core.models.seq_autoencoder) scores each step of a long series by how badly it
reconstructs it (core.analysis.reconstruction_scores), with the bottleneck decoder, the one
that reads every encoder state, and the autoregressive one side by side. How each trains and
is measured is in core.labs.anomaly.training.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.contract import LabSpec, Preset, knob
from core.labs.anomaly.training import run_anomaly as run
from core.labs.anomaly.verdict import verdict
from core.models.seq_autoencoder import FORMS

__all__ = ["Config", "LAB", "run"]


@dataclass
class Config:
    form: str = knob("repeat", "Decoder", "repeat: the code is copied to every step "
                     "(return_sequences=False). sequence: the decoder reads every encoder "
                     "state (no bottleneck). autoregressive: it reads the previous value.",
                     choices=FORMS)
    compare_forms: bool = knob(True, "Compare decoders", "Also train the other two decoder "
                               "forms on the same data.")
    anomaly_size: float = knob(1.0, "Anomaly size", "Scale of the injected anomalies (the "
                               "wave's amplitude is about 1).", min=0.1, max=3.0, step=0.1)
    anomalies: int = knob(4, "Anomalies per series", "Spikes, shifts, noise bursts and "
                          "stuck stretches, in turn.", min=1, max=10)
    window: int = knob(24, "Window", "Steps the autoencoder reads and reconstructs.", min=8,
                       max=96, step=4)
    hidden: int = knob(32, "Hidden units", "Size of each recurrent state.", min=8, max=128,
                       step=8)
    lr: float = knob(0.01, "Learning rate", "Adam step size.", min=1e-5, max=1.0, widget="log")
    steps: int = knob(300, "Training steps", "Optimiser steps for each model (all train the "
                      "full length, so the curves show where each levels off).", min=0,
                      max=5000, step=5)
    batch: int = knob(64, "Batch size", "Windows per step.", min=8, max=256, step=8)
    eval_every: int = knob(25, "Measure every", "Steps between measurements.", min=5,
                           max=500, step=5)
    seed: int = knob(0, "Seed", "Fixes data, anomalies and initial weights.", min=0,
                     max=2**31 - 1)


LAB = LabSpec(
    id="anomaly", title="Anomaly Detection", order=93, icon=":material/troubleshoot:",
    group="Applications",
    question="Can a sequence autoencoder trained only on normal data flag what it cannot "
             "reconstruct, and why does it need a bottleneck?",
    what_you_see="A sequence autoencoder trained on normal waves scoring every step of a "
                 "series with injected spikes, shifts, noise bursts and stuck stretches; the "
                 "bottleneck decoder beside one that reads every encoder state and copies "
                 "the anomalies through; ROC curves and which kinds each one catches.",
    Config=Config, run=run, verdict=verdict,
    smoke={"steps": 20, "eval_every": 10, "hidden": 8, "batch": 16},
    primary=("form", "compare_forms", "anomaly_size", "anomalies"),
    picture=("roc_auc", "the headline autoencoder's ROC AUC on the test probes"),
    presets=(
        Preset("anomalies by reconstruction", "Trained on normal waves only, the bottleneck "
               "autoencoder reconstructs them and fails on the injected anomalies (shaded). "
               "The decoder that reads every encoder state has no bottleneck: it copies the "
               "anomalies too, and its ROC curve (tab) sits lower.",
               {}, show=("form", "anomaly_size")),
    ))
