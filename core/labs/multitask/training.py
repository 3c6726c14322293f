"""How the Multi-task lab trains: one LSTM encoder with a tagging head and a sequence
head, against two single-task models that together hold as many parameters.

All three train on the same stream of sequences (core.tasks.two_tasks) for the run's steps.
Every `eval_every` steps each task's accuracy is measured on the validation set and, for the
shared model, the cosine between the two task losses' gradients on the encoder's weights on
a fixed probe batch, and the loss weights. Reported accuracies come from a test set.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from core.analysis.model_size import parameter_count
from core.analysis.task_balance import (UncertaintyWeights, equilibrium_weight,
                                        fixed_point_distance, shown_as, task_gradient_cosine)
from core.measure import stop_point, stoppable, stopped_result
from core.arms import Arm, Trained, finish, run_status, train_arms
from core.device import build_seeded, pick_device, stream
from core.models.multitask import MultiTaskLSTM, matched_hidden
from core.tasks.two_tasks import TAG_LAG, TwoTasks
from core.train import train

if TYPE_CHECKING:  # the Config lives in the package's __init__, which imports this module
    from core.labs.multitask import Config

VALIDATION_SIZE = 512
TEST_SIZE = 1024
PROBE_SIZE = 512
SUCCESS_ACCURACY = 0.9  # both heads of the shared model, on the test set
NAMES = {("tag", "seq"): "shared", ("tag",): "tagging only", ("seq",): "sequence only"}


# Each head's own first crossing: a measurement per head (which task learns first), not the
# run's clock, which is the training loop's target below.
class FirstCrossing:
    """The first training step, and seconds since the model started training, at which a
    measured value reached its target."""

    def __init__(self, target: float) -> None:
        self.target = target
        self.started = time.perf_counter()
        self.step: int | None = None
        self.seconds: float | None = None

    def see(self, step: int, value: float) -> None:
        if self.step is None and value >= self.target:
            self.step, self.seconds = step, time.perf_counter() - self.started

def task_of(config) -> TwoTasks:
    return TwoTasks(config.symbols, config.length, config.relatedness)


def task_losses(out: dict, batch) -> dict:
    losses = {}
    if "tag" in out:
        losses["tag"] = F.cross_entropy(out["tag"].reshape(-1, 2), batch.tags.reshape(-1))
    if "seq" in out:
        losses["seq"] = F.cross_entropy(out["seq"], batch.label)
    return losses


@torch.no_grad()
def accuracies(model, batch) -> dict:
    model.eval()
    out = model(batch.x)
    model.train()
    acc = {}
    if "tag" in out:
        acc["tag"] = float((out["tag"].argmax(-1) == batch.tags).float().mean())
    if "seq" in out:
        acc["seq"] = float((out["seq"].argmax(-1) == batch.label).float().mean())
    return acc


@dataclass(frozen=True)
class HeadsSpec:
    """What one arm of the Multi-task lab trains: the run's Config, the heads its LSTM
    carries ("tag", "seq" or both), the device, and its hidden size."""
    config: "Config"
    heads: tuple[str, ...]
    device: object
    hidden: int


@stoppable
def _train_model(arm: Arm, steps: int, report, should_stop) -> Trained:
    spec: HeadsSpec = arm.spec
    config, heads, device = spec.config, spec.heads, spec.device
    task = task_of(config)
    with torch.device(device):
        model = build_seeded(config.seed, lambda: MultiTaskLSTM(config.symbols,
                                                                spec.hidden, heads))
        weights = UncertaintyWeights(len(heads))
    uncertain = len(heads) == 2 and config.weighting == "uncertainty"
    fixed = {"tag": config.tag_weight, "seq": 1 - config.tag_weight} if len(heads) == 2 \
        else {heads[0]: 1.0}
    data = stream(config.seed, "train")
    validation = task.sample(VALIDATION_SIZE, stream(config.seed, "validation"), device)
    probe = task.sample(PROBE_SIZE, stream(config.seed, "probe"), device)
    curve: dict = {"steps": [], **{h: [] for h in heads}}
    if len(heads) == 2:
        curve.update(cosine=[], weights=[])
    crossings = {h: FirstCrossing(SUCCESS_ACCURACY) for h in heads}

    def current_weights() -> list[float]:
        return weights.weights() if uncertain else [fixed["tag"], fixed["seq"]]

    def step_fn(step: int):
        b = task.sample(config.batch, data, device)
        losses = task_losses(model(b.x), b)
        # Every weighting trains on its own objective but reports one quantity, the plain
        # sum of the task losses: Kendall's objective can go below zero (its s/2 term) and a
        # fixed w, 1 - w weighting is a fraction of the sum, so charted as they are, two
        # weightings would differ by construction.
        objective = (weights([losses["tag"], losses["seq"]]) if uncertain
                     else sum(fixed[h] * v for h, v in losses.items()))
        return shown_as(objective, sum(losses.values()))

    def evaluate(step: int) -> dict:
        acc = accuracies(model, validation)
        curve["steps"].append(step)
        for h in heads:
            curve[h].append(acc[h])
            crossings[h].see(step, acc[h])
        metrics = {f"accuracy_{h}": acc[h] for h in heads}
        if len(heads) == 2:
            with torch.enable_grad():
                losses = task_losses(model(probe.x), probe)
                cos = task_gradient_cosine(losses["tag"], losses["seq"],
                                           model.shared_parameters())
            curve["cosine"].append(cos)
            curve["weights"].append(current_weights())
            metrics["gradient_cosine"] = cos
        return {**metrics, "live": {k: list(v) for k, v in curve.items()}}

    params = list(model.parameters()) + (list(weights.parameters()) if uncertain else [])
    log = train(params, step_fn, steps=steps, lr=config.lr, clip=1.0, evaluate=evaluate,
                eval_every=config.eval_every, on_step=report, should_stop=should_stop)
    stop_point(should_stop, "test measurements", log, model)
    test = task.sample(TEST_SIZE, stream(config.seed, "test"), device)
    with torch.no_grad():
        final_losses = {h: float(v) for h, v in task_losses(model.eval()(test.x), test).items()}
    model.train()
    log.seconds_to_success = max((c.seconds for c in crossings.values()), default=None) \
        if all(c.seconds is not None for c in crossings.values()) else None
    return Trained(arm, model, log, summary={
        "accuracy": accuracies(model, test), "test_losses": final_losses,
        "steps_to_90": {h: c.step for h, c in crossings.items()},
        "weights": current_weights() if len(heads) == 2 else None,
        "parameters": parameter_count(model)},
        extra={"curve": curve})


def run_multitask(config, on_step=None, should_stop=None):
    start = time.perf_counter()
    device = pick_device()
    single = matched_hidden(config.symbols, config.hidden)
    arms = [Arm(NAMES[heads], spec=HeadsSpec(config, heads, device,
                                             config.hidden if len(heads) == 2 else single))
            for heads in (("tag", "seq"), ("tag",), ("seq",))]
    trained = train_arms(arms, _train_model, steps=config.steps, on_step=on_step,
                         should_stop=should_stop)
    stopped = stopped_result(config, start, trained, should_stop, arms)
    if stopped is not None:
        return stopped
    task = task_of(config)
    test = task.sample(TEST_SIZE, stream(config.seed, "test"), device)
    shared = trained[0]
    acc = {t.name: t.summary["accuracy"] for t in trained}
    cosines = shared.extra["curve"]["cosine"]
    tag_rate = float(test.tags.float().mean())
    seq_rate = float(test.label.float().mean())
    metrics = {
        "accuracy_tag": acc["shared"]["tag"], "accuracy_seq": acc["shared"]["seq"],
        "accuracy_by_model": acc,
        "steps_to_90_by_model": {t.name: t.summary["steps_to_90"] for t in trained},
        "parameters_by_model": {t.name: t.summary["parameters"] for t in trained},
        "hidden_by_model": {a.name: a.spec.hidden for a in arms},
        "majority_tag": max(tag_rate, 1 - tag_rate),
        "majority_seq": max(seq_rate, 1 - seq_rate),
        "repeat_threshold": task.threshold, "tag_lag": TAG_LAG,
        "cosine_mean": sum(cosines) / len(cosines) if cosines else None,
        "cosine_negative_fraction": (sum(c < 0 for c in cosines) / len(cosines)
                                     if cosines else None),
        "final_weights": shared.summary["weights"],
        "equilibrium_weights": [equilibrium_weight(shared.summary["test_losses"][h])
                                for h in ("tag", "seq")],
        # how far the learned weights got towards 1/(2 L_i) (fixed weights have none)
        "weights_to_fixed_point": (fixed_point_distance(
            shared.summary["weights"], [shared.summary["test_losses"][h] for h in ("tag", "seq")])
            if config.weighting == "uncertainty" and shared.summary["weights"] else None),
        "test_losses": shared.summary["test_losses"],
    }
    single_acc = {"tag": acc.get("tagging only", {}).get("tag"),
                  "seq": acc.get("sequence only", {}).get("seq")}
    for h in ("tag", "seq"):
        if single_acc[h] is not None:
            metrics[f"sharing_gain_{h}"] = acc["shared"][h] - single_acc[h]
    success = min(acc["shared"].values()) >= SUCCESS_ACCURACY
    return finish(config, start, trained, metrics=metrics, success=success,
                  status=run_status(trained, len(arms), success),
                  arrays={"weights_over_training": shared.extra["curve"]["weights"],
                          "weight_steps": shared.extra["curve"]["steps"]})
