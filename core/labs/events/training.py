"""How the Rare Events lab trains: rare events in a long stream (core.tasks.rare_events).

Comparing losses: the same LSTM detector trained with plain, class-weighted and focal loss on
labels at every step; measured by precision, recall (threshold 1/2) and the area under the
precision-recall curve (average precision), beside the all-negative classifier.

Comparing densities: the same detector and loss with labels at every step, every k steps,
or at the end only; measured by how well each detects whether a stream holds an event (its
largest output over the supervised steps as the score, ROC AUC) and by the gradient of its
own loss reaching each input step.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from core.analysis.imbalance import (LOSSES, average_precision, balanced_pos_weight,
                                     event_loss, precision_recall, precision_recall_curve,
                                     roc_auc)
from core.measure import stop_point, stoppable, stopped_result
from core.arms import Arm, Trained, finish, run_status, train_arms
from core.device import build_seeded, pick_device, stream
from core.models.recurrent import RecurrentClassifier
from core.tasks.rare_events import DENSITIES, RareEvents, density_labels
from core.train import train

if TYPE_CHECKING:  # the Config lives in the package's __init__, which imports this module
    from core.labs.events import Config

SUCCESS_PR_AUC = 0.5  # per-step losses: precision-recall AUC of the headline model
SUCCESS_DETECTION_AUC = 0.8  # by density: ROC AUC of detecting the event
VALIDATION_SIZE = 256
TEST_SIZE = 512
PROBE_SIZE = 64
STATISTICS_SIZE = 512  # streams the label rate (and so the class weight) is estimated from
CURVE_POINTS = 200  # points kept of each precision-recall curve


def task_of(config) -> RareEvents:
    return RareEvents(config.stream_len, config.event_pct / 100, config.event_height)


def density_name(density: str) -> str:
    return "every k steps" if density == "every k" else density


def label_rate(config, density: str) -> float:
    """The fraction of supervised labels that are positive, on streams of the statistics
    stream: what the class weight balances."""
    b = task_of(config).sample(STATISTICS_SIZE, stream(config.seed, "statistics"))
    targets, mask = density_labels(b.events, density, config.label_every)
    return float((targets * mask).sum() / mask.sum())


@torch.no_grad()
def probabilities(model, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    p = torch.sigmoid(model(x).squeeze(-1))
    model.train()
    return p


def gradient_profile(model, batch, density: str, every: int, loss_kw: dict) -> list[float]:
    """||dL/dx_t|| averaged over the batch, for each input step t, of the model's own loss."""
    x = batch.x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        targets, mask = density_labels(batch.events, density, every)
        loss = event_loss(model(x).squeeze(-1), targets, mask, **loss_kw)
        (grad,) = torch.autograd.grad(loss, x)
    return grad.squeeze(-1).abs().mean(0).tolist()


def early_late_ratio(profile: list[float]) -> float | None:
    """Mean gradient over the first tenth of the steps over that of the last tenth."""
    n = max(1, len(profile) // 10)
    late = sum(profile[-n:]) / n
    return (sum(profile[:n]) / n) / late if late > 0 else None


@dataclass(frozen=True)
class DetectorSpec:
    """What one arm of the Rare Events lab trains: the run's Config, the device, the label
    density, and the keyword arguments of its loss (event_loss)."""
    config: "Config"
    device: object
    density: str
    loss_kw: dict


@stoppable
def _train_detector(arm: Arm, steps: int, report, should_stop) -> Trained:
    spec: DetectorSpec = arm.spec
    config, device, density, loss_kw = spec.config, spec.device, spec.density, spec.loss_kw
    task = task_of(config)
    with torch.device(device):
        model = build_seeded(config.seed, lambda: RecurrentClassifier(
            "lstm", 1, config.hidden, 1))
    data = stream(config.seed, "train")
    validation = task.sample(VALIDATION_SIZE, stream(config.seed, "validation"), device)
    probe = task.sample(PROBE_SIZE, stream(config.seed, "probe"), device)
    per_step = density == "every step" and config.compare == "losses"
    curve: dict = {"steps": [], "score": [], "precision": [], "recall": []}
    target = SUCCESS_PR_AUC if per_step else SUCCESS_DETECTION_AUC
    latest: dict = {}
    rate = validation.rate

    def step_fn(step: int):
        b = task.sample(config.batch, data, device)
        targets, mask = density_labels(b.events, density, config.label_every)
        return event_loss(model(b.x).squeeze(-1), targets, mask, **loss_kw)

    def evaluate(step: int) -> dict:
        measured = measure(model, validation, config, density, per_step)
        curve["steps"].append(step)
        for key in ("score", "precision", "recall"):
            curve[key].append(measured.get(key))
        profile = gradient_profile(model, probe, density, config.label_every, loss_kw)
        latest.update(profile=profile)
        return {"score": measured["score"], "live": {**{k: list(v) for k, v in curve.items()},
                                                      "event_rate": rate}}

    log = train(list(model.parameters()), step_fn, steps=steps, lr=config.lr, clip=1.0,
                evaluate=evaluate, eval_every=config.eval_every, on_step=report,
                should_stop=should_stop, target=lambda m: m["score"] >= target)
    stop_point(should_stop, "test measurements", log, model)
    test = task.sample(TEST_SIZE, stream(config.seed, "test"), device)
    summary = measure(model, test, config, density, per_step, curves=True)
    summary.update(steps_to_target=log.steps_to_success, grad_profile=latest["profile"],
                   early_late=early_late_ratio(latest["profile"]))
    return Trained(arm, model, log, summary=summary)


def measure(model, batch, config, density: str, per_step: bool, curves: bool = False) -> dict:
    """Per step (comparing losses): average precision, precision and recall at 1/2 and
    accuracy. Per stream (comparing densities): ROC AUC of "does this stream hold an event",
    scored by the largest output over the steps the model was supervised at."""
    p = probabilities(model, batch.x)
    if per_step:
        precision, recall = precision_recall(p, batch.events, 0.5)
        out = {"score": average_precision(p, batch.events), "precision": precision,
               "recall": recall,
               "accuracy": float(((p >= 0.5).float() == batch.events).float().mean())}
        if curves:
            curve = precision_recall_curve(p, batch.events)
            stride = max(1, len(curve["recall"]) // CURVE_POINTS)
            out["pr_curve"] = {k: v[::stride] + v[-1:] for k, v in curve.items()}
            out["best_f1"] = max((2 * a * b / (a + b) if a + b > 0 else 0.0)
                                 for a, b in zip(curve["precision"], curve["recall"]))
        return out
    _, mask = density_labels(batch.events, density, config.label_every)
    scores = (p * mask).amax(1)
    return {"score": roc_auc(scores, (batch.events.sum(1) > 0).float())}


def run_events(config, on_step=None, should_stop=None):
    start = time.perf_counter()
    device = pick_device()
    if config.compare == "losses":
        losses = [config.loss] + [k for k in LOSSES if k != config.loss]
        weight = balanced_pos_weight(label_rate(config, "every step"))
        arms = [Arm(k, spec=DetectorSpec(config, device, "every step", {
            "kind": k, "pos_weight": weight, "gamma": config.focal_gamma})) for k in losses]
    else:
        arms = [Arm(density_name(d), spec=DetectorSpec(config, device, d, {
            "kind": config.loss, "gamma": config.focal_gamma,
            "pos_weight": balanced_pos_weight(label_rate(config, d))}))
            for d in DENSITIES]
    trained = train_arms(arms, _train_detector, steps=config.steps, on_step=on_step,
                         should_stop=should_stop)
    stopped = stopped_result(config, start, trained, should_stop, arms)
    if stopped is not None:
        return stopped
    test = task_of(config).sample(TEST_SIZE, stream(config.seed, "test"), device)
    rate = test.rate
    main = trained[0]
    metrics = {
        "score": main.summary["score"],
        "score_by_model": {t.name: t.summary["score"] for t in trained},
        "steps_to_target_by_model": {t.name: t.summary["steps_to_target"] for t in trained},
        "early_late_gradient_by_model": {t.name: t.summary["early_late"] for t in trained},
        "test_event_rate": rate,
        "streams_with_event": float((test.events.sum(1) > 0).float().mean()),
        "class_weights": {a.name: a.spec.loss_kw["pos_weight"] for a in arms
                          if a.spec.loss_kw["kind"] == "weighted"},
        "test_streams": TEST_SIZE, "test_events": int(test.events.sum()),
    }
    arrays = {"grad_profiles": {t.name: t.summary["grad_profile"] for t in trained}}
    if config.compare == "losses":
        metrics.update(
            pr_auc=main.summary["score"],
            all_negative_accuracy=1 - rate, all_negative_pr_auc=rate,
            precision_by_model={t.name: t.summary["precision"] for t in trained},
            recall_by_model={t.name: t.summary["recall"] for t in trained},
            accuracy_by_model={t.name: t.summary["accuracy"] for t in trained},
            best_f1_by_model={t.name: t.summary["best_f1"] for t in trained})
        arrays["pr_curves"] = {t.name: t.summary["pr_curve"] for t in trained}
        success = main.summary["score"] >= SUCCESS_PR_AUC
    else:
        metrics["detection_auc"] = main.summary["score"]
        success = main.summary["score"] >= SUCCESS_DETECTION_AUC
    return finish(config, start, trained, metrics=metrics, arrays=arrays,
                  success=success, status=run_status(trained, len(arms), success))
