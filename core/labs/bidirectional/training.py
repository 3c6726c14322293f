"""Training one model of the Bidirectional lab: a uni- or bidirectional tagger on a direction
task, measured as it trains and then on fresh data.

Three held-out sets, each from its own named stream of the run's seed: the validation set
that the live curve and early stopping read, the test set every reported number comes from,
and a probe batch for the gradient paths. The headline model trains on past the lab's
criterion (90% validation accuracy, whose time is reported) until its validation accuracy
has stayed at PICTURE_ACCURACY or above for PICTURE_HOLD_STEPS, so the default demo ends
with the bidirectional model holding a solved task beside the causal model held at its bound
(and long enough that both curves are seen growing, not only their end).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import torch

from core.analysis.bidirectional import (accuracy, all_hidden, backward_share, gradient_paths,
                                         sample_future_mask, task_loss)
from core.measure import stop_point, stoppable
from core.arms import Arm, Trained
from core.device import build_seeded, stream
from core.models.birnn import DirectionalTagger
from core.tasks.direction import IGNORE, DirectionBatch, DirectionTask
from core.train import train

if TYPE_CHECKING:  # the Config lives in the package's __init__, which imports this module
    from core.labs.bidirectional import Config

SUCCESS_ACCURACY = 0.9  # the lab's criterion; the time the headline model takes is reported
PICTURE_ACCURACY = 0.99  # the headline model trains on until its validation accuracy has
PICTURE_HOLD_STEPS = 200  # stayed at or above this for this many steps
VALIDATION_SIZE = 512  # sequences the live curve and early stopping read
TEST_SIZE = 1024  # fresh sequences every reported number is measured on
PROBE_SIZE = 128  # sequences the gradient paths are averaged over
BOUND_SIGMAS = 3.0  # how far above the causal bound a causal model's test accuracy may land


def make_task(config) -> DirectionTask:
    """The task the knobs describe (Config.check has refused the combinations it rejects)."""
    return DirectionTask(config.task, config.symbols, config.seq_len, config.offset)


def labelled_count(batch: DirectionBatch, level: str) -> int:
    """How many labels a batch scores: one per sequence, or one per labelled position."""
    return int(batch.target.numel() if level == "sequence" else (batch.target != IGNORE).sum())


def bound_tolerance(bound: float, labels: int) -> float:
    """BOUND_SIGMAS standard deviations of a causal model's accuracy over `labels` scored
    labels, sqrt(b(1-b)/n): given everything before it, each label is right with probability
    at most b, so the accuracy is a mean of n terms whose deviations are uncorrelated."""
    return BOUND_SIGMAS * math.sqrt(bound * (1.0 - bound) / max(labels, 1))


@dataclass(frozen=True)
class DirectionSpec:
    """What one arm of the Bidirectional lab trains: the Config (its direction set), the
    device, and whether it stops once its validation accuracy has held (the headline one)."""
    config: "Config"
    device: object
    early_stop: bool


def direction_arm(config, direction: str, device, early_stop: bool,
                  name: str | None = None) -> Arm:
    """One model to train: `config` with `direction`; the headline one stops early."""
    return Arm(name or direction,
               spec=DirectionSpec(replace(config, direction=direction), device, early_stop))


@stoppable
def train_direction(arm: Arm, steps: int, report, should_stop) -> Trained:
    """Train one tagger on the seed's batches, measuring validation accuracy (the live
    headline curve) as it goes, then measure it on the test set and the probe batch."""
    spec: DirectionSpec = arm.spec
    config, device = spec.config, spec.device
    task = make_task(config)
    with torch.device(device):
        model = build_seeded(config.seed, lambda: DirectionalTagger(
            config.cell, task.symbols, config.hidden, task.classes, config.direction))
    bi, p = model.bidirectional, config.future_mask_p
    data_gen, mask_gen = stream(config.seed, "train"), stream(config.seed, "mask")
    validation_gen = stream(config.seed, "validation")
    validation = task.sample(VALIDATION_SIZE, validation_gen, device)
    # The share is measured as the model trains: the same fraction p of held-out positions
    # has its future hidden (one fixed draw, so successive measurements compare).
    validation_mask = (sample_future_mask(validation.tokens.shape, p, validation_gen, device)
                       if bi else None)
    curve: dict = {"step": [], "accuracy": []}
    reached: dict = {}  # when validation accuracy first passed SUCCESS_ACCURACY
    held: dict = {}  # since when it has stayed at PICTURE_ACCURACY or above
    started = time.perf_counter()

    def step_fn(step: int):
        b = task.sample(config.batch, data_gen, device)
        mask = sample_future_mask(b.tokens.shape, p, mask_gen, device)
        return task_loss(model, b, task.level, mask if bi else None)

    def evaluate(step: int) -> dict:
        acc = accuracy(model, validation, task.level)
        share = backward_share(model, validation, task.level, validation_mask)["variance"]
        curve["step"].append(step)
        curve["accuracy"].append(acc)
        if acc >= SUCCESS_ACCURACY and not reached:
            reached.update(step=step, seconds=time.perf_counter() - started)
        if acc < PICTURE_ACCURACY:
            held.clear()
        else:
            held.setdefault("since", step)
        return {"accuracy": acc, "backward_share": share,
                "live": {"step": list(curve["step"]), "accuracy": list(curve["accuracy"])}}

    def picture_held(metrics: dict) -> bool:
        return "since" in held and curve["step"][-1] - held["since"] >= PICTURE_HOLD_STEPS

    early_stop = spec.early_stop
    log = train(list(model.parameters()), step_fn, steps=steps, lr=config.lr,
                evaluate=evaluate, eval_every=config.eval_every,
                is_success=picture_held if early_stop else None,
                on_step=report, should_stop=should_stop)
    stop_point(should_stop, "test accuracy, backward share and gradient paths", log, model)

    test_gen = stream(config.seed, "test")
    test = task.sample(TEST_SIZE, test_gen, device)
    test_mask = sample_future_mask(test.tokens.shape, p, test_gen, device) if bi else None
    share = backward_share(model, test, task.level, test_mask)
    paths = gradient_paths(model, task.sample(PROBE_SIZE, stream(config.seed, "probe"), device))
    test_accuracy = accuracy(model, test, task.level)
    # The same model read causally: the backward pass sees no future at any position.
    hidden_accuracy = (accuracy(model, test, task.level, all_hidden(test)) if bi
                       else test_accuracy)
    live = {"step": curve["step"], "accuracy": curve["accuracy"],
            "test_accuracy": test_accuracy}
    if bi:
        live["test_accuracy_future_hidden"] = hidden_accuracy
    return Trained(arm, model, log, live=live, extra={"paths": paths}, summary={
        "accuracy": test_accuracy, "accuracy_future_hidden": hidden_accuracy,
        "validation_accuracy": curve["accuracy"][-1],
        "backward_share": share["variance"], "backward_share_magnitude": share["magnitude"],
        "backward_share_unmasked": backward_share(model, test, task.level)["variance"],
        "forward_variance": share["forward_variance"],
        "backward_variance": share["backward_variance"],
        "parameters": model.parameter_count(), "steps": log.steps,
        "test_labels": labelled_count(test, task.level),
        "steps_to_criterion": reached.get("step"), "seconds_to_criterion": reached.get("seconds"),
        "grad_x1_forward": paths.x1_forward, "grad_x1_backward": paths.x1_backward})
