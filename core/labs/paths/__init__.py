"""Recurrence and self-attention: path length against cost.

Trains a tanh RNN, an LSTM and a small causal self-attention model side by side, on the same
data stream and seed, on a long-range task whose lag the user sets (core.tasks.long_range).
Every `eval_every` steps each model's validation accuracy and the gradient reaching every
input position from the loss at the last one are measured (the live headline figure). At
the end: accuracy against lag on a separate test set, the fitted decay rate of that
gradient, the attention model's attention maps, and the LSTM's cell-state gradients and
forget gates. The cost sweep and the fixed-gate study are in core.labs.paths.studies.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import time
from dataclasses import dataclass

import torch

from core.analysis.cost_scaling import parse_lengths
from core.analysis.lag_reading import read_accuracy_by_lag
from core.analysis.lstm_highway import pinned_highway_ratio, replay_agrees_with_fused
from core.analysis.model_size import matched_width, parameter_count
from core.arms import Arm, Trained, finish, train_arms
from core.contract import ConfigError, LabSpec, Preset, Result, Study, knob
from core.device import build_seeded, pick_device, stream
from core.measure import stopped_result
from core.labs.paths import studies
from core.labs.paths.training import (LSTM_FORGET_BIAS, MODELS, SYMBOLS, build_model,
                                    make_task)
from core.labs.paths.training import STOP_ACCURACY, TaggerSpec, train_tagger
from core.tasks.long_range import LongRangeTask
from core.labs.paths.verdict import SUCCESS_ACCURACY, verdict

HIGHWAY_STEPS = 50  # the seed's example: 50 steps, 49 multiplications
HIGHWAY_FORGET = (0.9, 0.99)
# The cost study's lengths: the whole range, a quick one, and the long end.
COST_SWEEPS = ("32,64,128,256,512,1024,2048", "32,64,128,256,512", "256,512,1024,2048")
ARM_WEIGHT = {"rnn": 1.0, "lstm": 1.0, "attention": 0.4}  # share of the progress bar


@dataclass
class Config:
    model: str = knob("attention", "Headline model", "The model trained first, whose test "
                      "accuracy decides the run's success: tanh RNN, LSTM, or causal "
                      "self-attention.", choices=MODELS)
    compare_models: bool = knob(True, "Compare models", "Also train the other two models on "
                                "the same data and seed, each with the same step budget.")
    match_parameters: bool = knob(False, "Matched parameters", "Give each compared model the "
                                  "width whose parameter count is nearest the headline "
                                  "model's, so a difference is the architecture's, not the "
                                  "size's. Off: every model has the Width.")
    task: str = knob("recall", "Task", "recall: output at the end the symbol marked `lag` "
                     "steps back (lags drawn from 1 to lag). copy: at every step output the "
                     "symbol seen exactly `lag` steps back.", choices=("recall", "copy"))
    lag: int = knob(39, "Lag", "Recall: the longest lag (lags are uniform from 1 to this). "
                    "Copy: the lag of every output. Must be below T.", min=1, max=255)
    seq_len: int = knob(40, "Sequence length T", "Steps per training sequence.", min=8,
                        max=256)
    hidden: int = knob(64, "Width", "Hidden units of the recurrences and width of the "
                       "attention model.", min=8, max=256, step=8)
    heads: int = knob(4, "Attention heads", "Heads of each attention layer; the width must "
                      "divide among them.", min=1, max=8)
    layers: int = knob(1, "Attention layers", "Causal self-attention blocks.", min=1, max=2)
    positions: str = knob("learned", "Positions", "learned: a trained vector per position. "
                          "sinusoidal: the fixed sines and cosines of Vaswani et al.",
                          choices=("learned", "sinusoidal"))
    pin_forget: float = knob(0.0, "Pinned forget gate", "0: the LSTM learns its forget gate "
                             "(bias starts at 1). Otherwise the forget gate is held at this "
                             "value for the whole run.", min=0.0, max=0.995, step=0.005)
    steps: int = knob(800, "Training steps", "Each model's budget of optimiser steps; a "
                      f"model stops early once its validation accuracy reaches "
                      f"{STOP_ACCURACY:.0%}. 0 measures the untrained models.", min=0, max=5000,
                      step=5)
    lr: float = knob(0.003, "Learning rate", "Adam step size.", min=1e-5, max=1.0,
                     widget="log")
    batch: int = knob(64, "Batch size", "Sequences per step.", min=8, max=256, step=8)
    eval_every: int = knob(25, "Measure every", "Steps between accuracy and gradient "
                           "measurements.", min=5, max=500, step=5)
    seed: int = knob(0, "Seed", "Fixes data and initial weights.", min=0, max=2**31 - 1)
    cost_lengths: str = knob(COST_SWEEPS[0], "Cost sweep lengths T", "The sequence lengths "
                             "the cost study times each model at.", choices=COST_SWEEPS)

    def check(self) -> None:
        if self.lag >= self.seq_len:
            raise ConfigError(f"lag ({self.lag}) must be below the sequence length T "
                              f"({self.seq_len})")
        if "attention" in self.models() and self.hidden % self.heads:
            raise ConfigError(f"width ({self.hidden}) must divide evenly among the attention "
                              f"heads ({self.heads})")
        parse_lengths(self.cost_lengths)

    def models(self) -> list[str]:
        return [self.model] + ([m for m in MODELS if m != self.model]
                               if self.compare_models else [])


HIGHWAY_DISTANCES = (1, 10)  # the tab's table: these distances and the longest


def model_widths(config: Config, task) -> dict[str, int]:
    """Each model's width: the Width knob, or with Matched parameters the width (a multiple
    of 4, of the heads for attention, from 8 to 256) whose count is nearest the headline
    model's at the Width knob."""
    widths = {name: config.hidden for name in config.models()}
    if not config.match_parameters:
        return widths
    target = parameter_count(build_model(config.model, task, config))
    for name in widths:
        if name != config.model:
            step = config.heads if name == "attention" else 4
            candidates = [w for w in range(8, 257) if w % step == 0]
            widths[name] = matched_width(lambda w: build_model(
                name, task, dataclasses.replace(config, hidden=w)), target, candidates)[0]
    return widths


def _highway_check(config: Config, trained: list[Trained], device) -> list[dict]:
    """An identity, checked: ||dL/dc_1|| / ||dL/dc_50|| on an LSTM (the trained one, else a
    freshly built one) with its forget gate pinned and its recurrent weights cut, where the
    cell path is the only one and the ratio is p^49 for any weights. It checks the replay's
    arithmetic, not the trained model; the full gradient is the highway metrics'."""
    lstm = next((t.model for t in trained if t.name == "lstm"), None)
    if lstm is None:
        with torch.device(device):
            lstm = build_seeded(config.seed, lambda: build_model("lstm", make_task(config),
                                                                 config))
    check_task = LongRangeTask("recall", SYMBOLS, HIGHWAY_STEPS, HIGHWAY_STEPS - 1)
    batch = check_task.sample(32, stream(config.seed, "reference"), device)
    values = list(HIGHWAY_FORGET) + ([config.pin_forget] if config.pin_forget
                                     and config.pin_forget not in HIGHWAY_FORGET else [])
    return [{"forget": p, "steps": HIGHWAY_STEPS, "closed_form": p ** (HIGHWAY_STEPS - 1),
             "measured": pinned_highway_ratio(lstm.core, lstm.head, batch.x, batch.target, p)}
            for p in values]


def run(config: Config, on_step=None, should_stop=None) -> Result:
    start = time.perf_counter()
    device = pick_device()
    task = make_task(config)
    widths = model_widths(config, task)
    sized = {name: dataclasses.replace(config, hidden=w) for name, w in widths.items()}
    arms = [Arm(name, spec=TaggerSpec(sized[name], device,
                                      functools.partial(build_model, name, task, sized[name]),
                                      kind=name),
                weight=ARM_WEIGHT[name]) for name in config.models()]
    trained = train_arms(arms, train_tagger, steps=config.steps, on_step=on_step,
                         should_stop=should_stop, rivals_match_main=False)
    stopped = stopped_result(config, start, trained, should_stop, arms,
                             ("the closed-form highway check",))
    if stopped is not None:
        return stopped
    by_name = {t.name: t.summary for t in trained}
    main = trained[0].summary
    metrics = {
        "accuracy": main["accuracy"], "chance_accuracy": 1.0 / SYMBOLS,
        "accuracy_by_model": {n: s["accuracy"] for n, s in by_name.items()},
        "accuracy_by_lag": {n: s["accuracy_by_lag"] for n, s in by_name.items()},
        # the fewest and most test targets behind one point of the accuracy-by-lag curve
        "targets_per_lag": [min(main["accuracy_by_lag"]["count"]),
                            max(main["accuracy_by_lag"]["count"])],
        "grad_by_distance": {n: s["grad_by_distance"] for n, s in by_name.items()},
        "path_decay_rate": {n: s["decay_rate"] for n, s in by_name.items()},
        "gradient_reach": {n: s["reach"] for n, s in by_name.items()},
        "steps_by_model": {t.name: t.log.steps for t in trained},
        "parameters_by_model": {t.name: parameter_count(t.model) for t in trained},
        "width_by_model": {t.name: widths[t.name] for t in trained},
        "accuracy_reading": {n: read_accuracy_by_lag(s["accuracy_by_lag"], 1.0 / SYMBOLS)
                             for n, s in by_name.items()},
        "seconds_to_success_by_model": {t.name: t.log.seconds_to_success for t in trained},
        "reach_contrast": _reach_contrast(by_name),
        "highway_check": _highway_check(config, trained, device),
        "lstm_forget_bias": LSTM_FORGET_BIAS,
    }
    arrays = {}
    if "attention" in by_name:
        view = by_name["attention"]["attention"]
        metrics["pointing_attention"] = view["weight"]
        arrays["attention"] = view
    if "lstm" in by_name:
        hw = by_name["lstm"]["highway"]
        lstm = next(t.model for t in trained if t.name == "lstm")
        metrics.update(cell_grad_norms=hw.cell_norms, hidden_grad_norms=hw.hidden_norms,
                       forget_gate_mean=hw.forget_mean, cell_grad_ratio=hw.cell_ratio,
                       cell_path_ratio=hw.cell_path_ratio,
                       highway_distances=[d for d in HIGHWAY_DISTANCES if d < len(hw.cell_ratio)]
                       + [len(hw.cell_ratio) - 1],
                       replay_fused_difference=replay_agrees_with_fused(
                           lstm.core, lstm.head, *by_name["lstm"]["highway_probe"]))
        arrays["highway"] = {"highway_norms": hw.highway_norms, "forget_low": hw.forget_low,
                             "forget_high": hw.forget_high}
    return finish(config, start, trained, metrics=metrics, arrays=arrays,
                  success=main["accuracy"] >= SUCCESS_ACCURACY)


def _reach_contrast(by_name: dict) -> float | None:
    """Decades more gradient reaching the farthest quarter of positions through attention
    than through the tanh RNN (each relative to its nearest quarter)."""
    a = by_name.get("attention", {}).get("reach")
    r = by_name.get("rnn", {}).get("reach")
    if not a or not r:
        return None
    return math.log10(a / r)


LAB = LabSpec(
    id="paths", title="Recurrence vs Attention", order=80, icon=":material/route:",
    question="Why does attention reach far back in one hop, and what does that cost?",
    what_you_see="A tanh RNN, an LSTM and causal self-attention trained on the same data: "
                 "the gradient reaching each earlier position, accuracy against lag, the head "
                 "that points at the answer, the LSTM's cell-state highway, and step time "
                 "and memory against T.",
    Config=Config, run=run, verdict=verdict,
    smoke={"steps": 20, "seq_len": 16, "lag": 12, "hidden": 16, "eval_every": 10,
           "batch": 16},
    primary=("model", "compare_models", "task", "lag", "seq_len", "pin_forget"),
    picture=("reach_contrast", "decades more far gradient through attention than the tanh RNN"),
    studies=(
        Study("cost", "Measure cost against T", "Times one training step of each model at "
              "every length in Cost sweep lengths (small batch, fresh weights) and counts its "
              "memory; no training.", studies.measure_cost, studies.cost_total_steps),
        Study("gates", "Fix the gates", "Trains a GRU with its gates held at r = 1, z = 0, the "
              "tanh RNN that shares its weights, and the same GRU with its gates free, on "
              "the same data.", studies.fixed_gates, studies.gates_total_steps),
    ),
    presets=(
        Preset("recurrence forgets", "A tanh RNN alone on recall with lags up to 39 steps. "
               "The gradient reaching a position falls by orders of magnitude with its "
               "distance from the loss, and accuracy stays near chance at every lag, the "
               "short ones included (Accuracy by lag says how each group reads), so its "
               "failure is not one of distance alone. Try **short lags** next.",
               {"model": "rnn", "compare_models": False}, show=("model", "lag", "seq_len")),
        Preset("short lags", "The same tanh RNN on lags up to 4 only: it learns them. So on "
               "lags up to 39 it fails in training, swamped by the long lags it cannot learn "
               "from, rather than on the distance of each example.",
               {"model": "rnn", "compare_models": False, "lag": 4},
               show=("model", "lag", "seq_len")),
        Preset("attention: one hop", "The same task, the same data: self-attention reaches "
               "every earlier position in one step. Its gradient does not fall with distance "
               "and it learns the recall in a few dozen steps; the LSTM and the tanh RNN train "
               "beside it with the same budget. See Attention map for the head that points "
               "at the marked symbol.", {}, show=("model", "lag", "seq_len")),
        Preset("but it pays T²", "Open **Measure cost against T** and run it: step time and "
               "memory of each model at T from 32 to 2048, with fitted exponents, which "
               "attention kernel pays T² in memory and which in time, and the length where "
               "attention becomes the dearer one. The timings measure this machine's "
               "implementation.",
               {"compare_models": True}, show=("cost_lengths", "hidden", "heads")),
        Preset("the LSTM highway", "An LSTM whose forget gate is held at 0.99: along the "
               "direct cell path alone the gradient shrinks by exactly 0.99 a step, whatever "
               "the weights. See LSTM highway for the full dL/dc_t measured on the trained "
               "model, which the paths through h and the gates add to (here it does not "
               "shrink like 0.99^d), beside that one path; then set the gate to 0.9 and "
               "train again.",
               {"model": "lstm", "compare_models": False, "pin_forget": 0.99},
               show=("model", "pin_forget", "lag")),
        Preset("copy needs positions", "Copy at a lag of 16: every output needs the symbol "
               "exactly 16 steps back. A recurrence must hold 16 symbols at once; attention "
               "finds the position by its code. Try sinusoidal positions.",
               {"task": "copy", "lag": 16}, show=("task", "lag", "positions")),
    ),
)
