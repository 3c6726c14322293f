"""Bidirectional RNNs: what does reading backwards buy, and what does it cost?

Trains a unidirectional and a bidirectional tagger of the same total hidden size on the same
data (core.tasks.direction), optionally hiding the future from the backward pass with
probability p (core.models.birnn), and measures accuracy against the causal bound, the
backward half's share of the output layer's input, and the gradient reaching x_1 along each
pass (core.analysis.bidirectional).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

from core.analysis.bidirectional import (accuracy, all_hidden, backward_share, gradient_paths,
                                         sample_future_mask, task_loss)
from core.contract import LabSpec, Preset, Result, knob
from core.device import pick_device, seed_everything, seeded_generator
from core.models.birnn import CELLS, DIRECTIONS, DirectionalTagger
from core.tasks.direction import TASKS, DirectionTask
from core.train import phase_reporter, train

SUCCESS_ACCURACY = 0.9
SWEEP_P = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass
class Config:
    task: str = knob("lookahead", "Task", "lookahead: label = the symbol d ahead (needs the "
                     "future). causal: the symbol d back. disambiguation: an ambiguous symbol's "
                     "sense is set d steps later. palindrome / first_token: one label per "
                     "sequence (palindrome learns within the budget at T = 6).", choices=TASKS)
    direction: str = knob("bi", "Direction", "uni: one forward pass. bi: a forward and a "
                          "backward pass, each with half the units.", choices=DIRECTIONS)
    compare: bool = knob(True, "Compare uni and bi", "Also train the other direction on the "
                         "same data, seed and number of steps.")
    future_mask_p: float = knob(0.0, "Future mask p", "During training, each position's "
                                "future is hidden from the backward pass with probability p.",
                                min=0.0, max=1.0, step=0.05)
    cell: str = knob("gru", "Cell", "Gated cell used by both passes.", choices=CELLS)
    hidden: int = knob(32, "Hidden units (total)", "uni: all in one pass; bi: half per pass.",
                       min=4, max=256, step=4)
    symbols: int = knob(4, "Symbols K", "Alphabet size; a causal model is held at 1/K on "
                        "lookahead.", min=2, max=12)
    seq_len: int = knob(12, "Sequence length T", "Symbols per sequence.", min=4, max=60)
    offset: int = knob(2, "Offset d", "How far ahead (lookahead, disambiguation) or back "
                       "(causal) the label looks.", min=1, max=20,
                       visible_if={"task": ("lookahead", "causal", "disambiguation")})
    lr: float = knob(0.01, "Learning rate", "Adam step size.", min=1e-4, max=0.1, widget="log")
    steps: int = knob(600, "Training steps", "Most optimiser steps; the main model stops "
                      "early at 90% accuracy.", min=0, max=5000, step=50)
    batch: int = knob(64, "Batch size", "Sequences per step.", min=8, max=512, step=8)
    eval_every: int = knob(25, "Measure every", "Steps between accuracy measurements.",
                           min=5, max=500, step=5)
    seed: int = knob(0, "Seed", "Fixes data and initial weights.", min=0, max=2**31 - 1)


def make_task(config: Config) -> DirectionTask:
    """The task the knobs describe, with the offset capped so some position is labelled and
    at least 3 symbols for disambiguation (see `adjustments`)."""
    symbols = max(config.symbols, 3) if config.task == "disambiguation" else config.symbols
    return DirectionTask(config.task, symbols, config.seq_len,
                         min(config.offset, config.seq_len - 1))


def adjustments(config: Config) -> str:
    notes = []
    if config.task in ("lookahead", "causal", "disambiguation") and \
            config.offset >= config.seq_len:
        notes.append(f"offset capped at T - 1 = {config.seq_len - 1}.")
    if config.task == "disambiguation" and config.symbols < 3:
        notes.append("disambiguation uses 3 symbols (one ambiguous, later words of both "
                     "parities).")
    return " ".join(notes)


def _train_direction(direction: str, config: Config, steps: int, device, on_step, should_stop,
                     progress_base: float, progress_span: float, early_stop: bool) -> dict:
    task = make_task(config)
    seed_everything(config.seed)
    hidden = config.hidden + config.hidden % 2  # bi splits the units into two equal halves
    model = DirectionalTagger(config.cell, task.symbols, hidden, task.classes,
                              direction).to(device)
    data_gen = seeded_generator(config.seed)
    mask_gen = seeded_generator(config.seed + 10)
    held_out = task.sample(512, seeded_generator(config.seed + 1), device)
    # The share is measured as the model was trained: the same fraction p of held-out
    # positions has its future hidden (a fixed draw, so successive measurements compare).
    held_out_mask = (sample_future_mask(held_out.tokens.shape, config.future_mask_p,
                                        seeded_generator(config.seed + 11), device)
                     if model.bidirectional else None)
    latest = {}

    def step_fn(step: int):
        b = task.sample(config.batch, data_gen, device)
        mask = sample_future_mask(b.tokens.shape, config.future_mask_p, mask_gen, device)
        return task_loss(model, b, task.level, mask if model.bidirectional else None)

    def evaluate(step: int) -> dict:
        acc = accuracy(model, held_out, task.level)
        share = backward_share(model, held_out, task.level, held_out_mask)["variance"]
        latest.update(accuracy=acc, backward_share=share)
        return {"accuracy": acc, "backward_share": share}

    report = phase_reporter(on_step, direction, steps, progress_base, progress_span)

    log = train(list(model.parameters()), step_fn, steps=steps, lr=config.lr,
                evaluate=evaluate, eval_every=config.eval_every,
                is_success=(lambda m: m["accuracy"] >= SUCCESS_ACCURACY) if early_stop else None,
                on_step=report, should_stop=should_stop)
    if "accuracy" not in latest or log.status in ("stopped", "diverged"):
        evaluate(log.steps)
    share = backward_share(model, held_out, task.level, held_out_mask)
    unmasked = backward_share(model, held_out, task.level)
    return {"direction": direction, "model": model, "log": log,
            "accuracy": latest["accuracy"],
            # The same model read causally: the backward pass sees no future at all.
            "accuracy_future_hidden": accuracy(model, held_out, task.level,
                                               all_hidden(held_out) if model.bidirectional
                                               else None),
            "backward_share": share["variance"], "backward_share_magnitude": share["magnitude"],
            "backward_share_unmasked": unmasked["variance"],
            "forward_variance": share["forward_variance"],
            "backward_variance": share["backward_variance"],
            "paths": gradient_paths(model, task.sample(128, seeded_generator(config.seed + 2),
                                                       device)),
            "parameters": model.parameter_count()}


def _summary(trained: dict) -> dict:
    paths = trained["paths"]
    return {"accuracy": trained["accuracy"], "accuracy_future_hidden": trained["accuracy_future_hidden"],
            "backward_share": trained["backward_share"],
            "backward_share_magnitude": trained["backward_share_magnitude"],
            "backward_share_unmasked": trained["backward_share_unmasked"],
            "forward_variance": trained["forward_variance"],
            "backward_variance": trained["backward_variance"],
            "parameters": trained["parameters"], "steps": trained["log"].steps,
            "grad_x1_forward": paths.x1_forward, "grad_x1_backward": paths.x1_backward}


def run(config: Config, on_step=None, should_stop=None) -> Result:
    start = time.perf_counter()
    device = pick_device()
    task = make_task(config)  # validates the task's settings before any training
    other = [d for d in DIRECTIONS if d != config.direction] if config.compare else []
    span = 1.0 / (1 + len(other))
    main = _train_direction(config.direction, config, config.steps, device, on_step,
                            should_stop, 0.0, span, early_stop=True)
    log = main["log"]
    runs = {main["direction"]: main}
    for direction in other:
        if log.status in ("stopped", "diverged") or (should_stop and should_stop()):
            break
        # The rival gets exactly the steps the main model used, on the same data stream.
        runs[direction] = _train_direction(direction, config, log.steps, device, on_step,
                                           should_stop, span, span, early_stop=False)
    bound = task.causal_bound
    metrics = {"accuracy": main["accuracy"], "backward_share": main["backward_share"],
               "backward_share_magnitude": main["backward_share_magnitude"],
               "backward_share_unmasked": main["backward_share_unmasked"],
               "accuracy_future_hidden": main["accuracy_future_hidden"],
               "chance_accuracy": 1.0 / task.classes,
               "by_direction": {d: _summary(r) for d, r in runs.items()}}
    if bound is not None:
        metrics["causal_bound"] = bound
    for d, r in runs.items():
        metrics[f"accuracy_{d}"] = r["accuracy"]
    success = main["accuracy"] >= SUCCESS_ACCURACY
    if bound is not None and "uni" in runs and "bi" in runs:
        # The comparison's claim: the causal model sits at the bound while the bi one solves it.
        success = (runs["bi"]["accuracy"] >= SUCCESS_ACCURACY
                   and runs["uni"]["accuracy"] <= bound + 0.1)
    arrays = {"gradient_paths": {d: vars(r["paths"]) for d, r in runs.items()},
              "histories": {d: r["log"].history for d, r in runs.items()}}
    return Result(lab="bidirectional", config=vars(config).copy(), metrics=metrics,
                  success=success, status=log.status, steps=log.steps,
                  wall_s=time.perf_counter() - start, history=log.history, arrays=arrays,
                  message=" ".join(t for t in (log.message, adjustments(config)) if t),
                  artifacts={"models": {d: r["model"] for d, r in runs.items()}, "task": task})


def run_mask_sweep(config: Config, on_step=None, should_stop=None,
                   ps: tuple = SWEEP_P) -> Result:
    """Bidirectional models trained at each future-mask probability p for the same steps (no
    early stop, so every p gets the same training), with their measured backward share."""
    start = time.perf_counter()
    device = pick_device()
    make_task(config)
    points = []
    for i, p in enumerate(ps):
        if should_stop and should_stop():
            break
        cfg = replace(config, direction="bi", future_mask_p=float(p))
        trained = _train_direction("bi", cfg, config.steps, device, on_step, should_stop,
                                   i / len(ps), 1.0 / len(ps), early_stop=False)
        points.append({"p": float(p), **_summary(trained)})
    shares = [pt["backward_share"] for pt in points]
    metrics = {"p": [pt["p"] for pt in points], "backward_share": shares,
               "backward_share_unmasked": [pt["backward_share_unmasked"] for pt in points],
               "forward_variance": [pt["forward_variance"] for pt in points],
               "backward_variance": [pt["backward_variance"] for pt in points],
               "accuracy": [pt["accuracy"] for pt in points],
               "accuracy_future_hidden": [pt["accuracy_future_hidden"] for pt in points]}
    done = len(points) == len(ps)
    return Result(lab="bidirectional", config={**vars(config), "sweep_p": list(ps)},
                  metrics=metrics, success=done, status="completed" if done else "stopped",
                  steps=config.steps * len(points), wall_s=time.perf_counter() - start,
                  arrays={"sweep": points}, message="" if done else "sweep stopped early")


LAB = LabSpec(
    id="bidirectional", title="Bidirectional RNNs", order=50, icon=":material/swap_horiz:",
    question="What does reading backwards buy, and what does it cost?",
    what_you_see="A causal and a bidirectional model of the same size on the same data, the "
                 "causal accuracy bound 1/K, how much of the output the backward half supplies "
                 "as the future is masked, and the short gradient path the backward pass gives "
                 "to the first token.",
    Config=Config, run=run,
    smoke={"steps": 20, "hidden": 8, "eval_every": 10, "seq_len": 6},
    presets=(
        Preset("reading ahead", "Tag each symbol with the one two steps ahead: the causal model "
               "is stuck at 1/K, the bidirectional one solves it.", {},
               show=("task", "direction")),
        Preset("a causal target", "The label depends only on the past; with the future masked "
               "(p = 1) the backward half shuts down and the model turns causal.",
               {"task": "causal", "future_mask_p": 1.0, "compare": False},
               show=("task", "future_mask_p")),
        Preset("palindromes", "Short palindromes: the backward pass meets the forward one in "
               "the middle.", {"task": "palindrome", "seq_len": 6, "steps": 400},
               show=("task", "seq_len")),
        Preset("the first token", "A label set by the first token: the forward path to it is "
               "long, the backward one short.", {"task": "first_token", "seq_len": 30},
               show=("task", "direction")),
    ),
)
