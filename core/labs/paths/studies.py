"""The Recurrence vs Attention lab's studies: the cost of a training step against T, and a
GRU with fixed gates beside the tanh RNN it equals.

`measure_cost` trains nothing: for each length it builds each model afresh and times a few
training steps on a small batch (core.analysis.cost_scaling). `fixed_gates` trains three
models from one set of initial weights: the GRU with r = 1, z = 0 held, the tanh RNN that
shares its weights (the same function, so the same loss curve), and the GRU with its gates
free (core.models.fixed_gates).
"""
from __future__ import annotations

import functools
import time

import torch

from core.analysis.cost_scaling import (crossover, exponent_range, fit_power_law,
                                        measure_step, parse_lengths, pays_quadratic)
from core.analysis.path_length import tagging_loss
from core.arms import Arm, finish, run_status, train_arms
from core.contract import Result, config_dict
from core.device import build_seeded, device_label, pick_device, stream
from core.labs.paths.training import SYMBOLS, build_model, make_task
from core.labs.paths.training import PROBE_SIZE, TaggerSpec, train_tagger
from core.measure import measured_arms
from core.models.fixed_gates import FixedGateGRU, tanh_rnn_sharing_weights
from core.tasks.long_range import LongRangeTask
from core.train import make_optimizer

COST_MODELS = ("rnn", "lstm", "attention", "attention_explicit")
RECURRENCES = ("rnn", "lstm")
COST_BATCH = 4  # sequences per timed step: small, so T = 2048 fits beside other users
COST_REPEATS = 5  # timed steps per model and length (fewer once 2 s have passed)
# The explicit kernel keeps batch x heads x layers x T^2 scores (and their softmax); a
# length whose matrices would pass this many MB is skipped, and the Result says so.
EXPLICIT_CAP_MB = 600
GATE_ARMS = ("tanh RNN", "GRU gates fixed", "GRU gates free")


def cost_total_steps(config) -> int:
    return len(parse_lengths(config.cost_lengths)) * len(COST_MODELS) * (1 + COST_REPEATS)


def explicit_scores_mb(config, T: int) -> float:
    """Memory of the scores and softmax weights the explicit kernel keeps (float32)."""
    return 2 * COST_BATCH * config.heads * config.layers * T * T * 4 / 2**20


def measure_cost(config, on_step=None, should_stop=None) -> Result:
    """Step time and memory of every model at every length of `config.cost_lengths`, the
    exponents fitted to them, and the lengths where attention becomes the dearer."""
    start = time.perf_counter()
    device = pick_device()
    lengths = parse_lengths(config.cost_lengths)
    ms = {m: [None] * len(lengths) for m in COST_MODELS}
    mb = {m: [None] * len(lengths) for m in COST_MODELS}
    runs = {m: [[] for _ in lengths] for m in COST_MODELS}
    notes, done, status = [], 0, "completed"
    total = cost_total_steps(config)
    for i, T in enumerate(lengths):
        for name in COST_MODELS:
            if should_stop is not None and should_stop():
                status = "stopped"
                break
            if name == "attention_explicit" and explicit_scores_mb(config, T) > EXPLICIT_CAP_MB:
                notes.append(f"self-attention with its T×T matrices kept was not run at "
                             f"T = {T}: they would take {explicit_scores_mb(config, T):.0f} MB.")
                done += 1 + COST_REPEATS
                continue
            cost = _measure_one(config, name, T, device)
            ms[name][i], mb[name][i], runs[name][i] = cost["ms"], cost["mb"], cost["ms_runs"]
            done += 1 + COST_REPEATS
            if on_step is not None:
                on_step(done, {"eval": True, "series": name, "progress": done / total,
                               "T": T, "step_ms": cost["ms"]})
        if status == "stopped":
            break
    time_fit = {m: fit_power_law(lengths, ms[m]) for m in COST_MODELS}
    memory_fit = {m: fit_power_law(lengths, mb[m]) for m in COST_MODELS}
    crossings = {a: {r: {"time": crossover(lengths, ms[a], ms[r]),
                         "memory": crossover(lengths, mb[a], mb[r])} for r in RECURRENCES}
                 for a in ("attention", "attention_explicit")}
    time_exponent = {m: f and f["exponent"] for m, f in time_fit.items()}
    memory_exponent = {m: f and f["exponent"] for m, f in memory_fit.items()}
    metrics = {
        "lengths": lengths, "step_ms_by_T": ms, "peak_mb_by_T": mb,
        "step_ms_runs_by_T": runs,
        "time_exponent": time_exponent, "memory_exponent": memory_exponent,
        "time_exponent_range": {m: exponent_range(lengths, runs[m], time_fit[m])
                                for m in COST_MODELS},
        # which model pays T^2 in what, read from its own fits on this machine
        "pays_quadratic": {m: {"time": pays_quadratic(time_exponent[m]),
                               "memory": pays_quadratic(memory_exponent[m])}
                           for m in COST_MODELS},
        "time_fit": time_fit, "memory_fit": memory_fit, "crossover_T": crossings,
        "device": device_label(device), "cost_batch": COST_BATCH,
        "memory_measure": ("peak CUDA memory above the step's baseline" if device.type == "cuda"
                           else "activations saved for the backward pass"),
    }
    return Result(lab="paths", config=config_dict(config), metrics=metrics,
                  success=status == "completed", status=status, steps=done,
                  wall_s=time.perf_counter() - start, message=" ".join(notes))


def _measure_one(config, name: str, T: int, device) -> dict:
    """One model, freshly built for length T, timed over a few training steps."""
    task = LongRangeTask("recall", SYMBOLS, T, T - 1)
    kernel = "explicit" if name == "attention_explicit" else "fused"
    base = "attention" if name.startswith("attention") else name
    with torch.device(device):
        model = build_seeded(config.seed, lambda: build_model(base, task, config, seq_len=T,
                                                              kernel=kernel))
    batch = task.sample(COST_BATCH, stream(config.seed, "examples"), device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(params, "adam", config.lr)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        tagging_loss(model(batch.x), batch.target).backward()
        opt.step()
    return measure_step(model, step, device, repeats=COST_REPEATS)


def gates_total_steps(config) -> int:
    return config.steps * len(GATE_ARMS)


def _gate_model(kind: str, task, config):
    """Every arm starts from the weights this seed gives a GRU (build_seeded runs this under
    the seed's lock, so the three draw the same numbers)."""
    gru = FixedGateGRU(task.input_size, config.hidden, SYMBOLS,
                       fixed_gates=kind == "GRU gates fixed")
    return tanh_rnn_sharing_weights(gru) if kind == "tanh RNN" else gru


def fixed_gates(config, on_step=None, should_stop=None) -> Result:
    """Train the GRU with fixed gates, the tanh RNN sharing its weights, and the GRU with
    free gates, each for up to `config.steps`, on the same data; measure first that the
    first two compute the same outputs."""
    start = time.perf_counter()
    device = pick_device()
    task = make_task(config)
    with torch.device(device):
        fixed = build_seeded(config.seed, lambda: _gate_model("GRU gates fixed", task, config))
        rnn = tanh_rnn_sharing_weights(fixed)
    probe = task.sample(PROBE_SIZE, stream(config.seed, "probe"), device)
    with torch.no_grad():
        difference = float((fixed(probe.x) - rnn(probe.x)).abs().max())
    arms = [Arm(kind, spec=TaggerSpec(config, device,
                                      functools.partial(_gate_model, kind, task, config),
                                      kind=kind))
            for kind in GATE_ARMS]
    trained = train_arms(arms, train_tagger, steps=config.steps, on_step=on_step,
                         should_stop=should_stop, rivals_match_main=False)
    trained = measured_arms(trained)
    return finish(config, start, trained, metrics={
        "fixed_gate_max_difference": difference,
        "accuracy_by_model": {t.name: t.summary["accuracy"] for t in trained},
        "accuracy_by_lag": {t.name: t.summary["accuracy_by_lag"] for t in trained},
        "steps_by_model": {t.name: t.log.steps for t in trained},
        "chance_accuracy": 1.0 / SYMBOLS},
        success=len(trained) == len(GATE_ARMS),
        status=run_status(trained, len(GATE_ARMS), success=False),
        steps=sum(t.log.steps for t in trained))
