"""How the Anomaly Detection lab trains: a sequence autoencoder trained on normal windows scores
each step of a long series by how badly it reconstructs it (core.analysis.reconstruction_scores).

Each decoder form (core.models.seq_autoencoder) trains on the same stream of normal windows.
Every `eval_every` steps the headline figure gets the scores along one probe series with
injected anomalies; the threshold is the 99th percentile of the scores of clean validation
series. Reported numbers — ROC AUC over every step of the test probes, precision, recall and
the false-alarm rate at the threshold — come from test probes the threshold never saw; the
1% the quantile was fitted to is named as the target, and the rate on held-out clean series
is reported beside it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from core.analysis.imbalance import average_precision, precision_recall, roc_auc, roc_curve
from core.analysis.model_size import parameter_count
from core.analysis.reconstruction_scores import false_alarm_rate, quantile_threshold, step_scores
from core.measure import stop_point, stoppable, stopped_result
from core.arms import Arm, Trained, finish, run_status, train_arms
from core.device import build_seeded, pick_device, stream
from core.models.seq_autoencoder import FORMS, SequenceAutoencoder
from core.tasks.anomalies import normal_series, normal_windows, probe_series
from core.train import train

if TYPE_CHECKING:  # the Config lives in the package's __init__, which imports this module
    from core.labs.anomaly import Config

SUCCESS_AUC = 0.8  # ROC AUC of the headline autoencoder's score on the test probes
PROBE_LENGTH = 320
TEST_PROBES = 16
CLEAN_SERIES = 16
THRESHOLD_QUANTILE = 0.99
CURVE_POINTS = 200


def _probes(config, name: str, count: int, device):
    probes = probe_series(count, PROBE_LENGTH, config.anomalies, config.anomaly_size,
                          stream(config.seed, name))
    return probes, probes.x.to(device)


@dataclass(frozen=True)
class AutoencoderSpec:
    """What one arm of the Anomaly Detection lab trains: the run's Config, the device, and the
    autoencoder's decoder form."""
    config: "Config"
    device: object
    form: str


@stoppable
def _train_autoencoder(arm: Arm, steps: int, report, should_stop) -> Trained:
    spec: AutoencoderSpec = arm.spec
    config, device, form = spec.config, spec.device, spec.form
    with torch.device(device):
        model = build_seeded(config.seed, lambda: SequenceAutoencoder(
            form, config.hidden, cell="lstm"))
    data = stream(config.seed, "train")
    clean = normal_series(CLEAN_SERIES, PROBE_LENGTH, stream(config.seed, "validation"))
    clean = clean.to(device)
    probe, probe_x = _probes(config, "probe", 1, device)
    curve: dict = {"steps": [], "auc": []}

    def step_fn(step: int):
        x = normal_windows(config.batch, config.window, data, device)
        return F.mse_loss(model(x), x)

    def evaluate(step: int) -> dict:
        scores = step_scores(model, probe_x, config.window)[0]
        threshold = quantile_threshold(step_scores(model, clean, config.window),
                                       THRESHOLD_QUANTILE)
        auc = roc_auc(scores, probe.labels[0])
        curve["steps"].append(step)
        curve["auc"].append(auc)
        live = {**{k: list(v) for k, v in curve.items()}, "step": step,
                "series": probe.x[0].tolist(), "score": scores.tolist(),
                "labels": probe.labels[0].tolist(), "threshold": threshold,
                "segments": [list(s) for s in probe.segments[0]]}
        return {"probe_auc": auc, "threshold": threshold, "live": live}

    log = train(list(model.parameters()), step_fn, steps=steps, lr=config.lr, clip=1.0,
                evaluate=evaluate, eval_every=config.eval_every, on_step=report,
                should_stop=should_stop, target=lambda m: m["probe_auc"] >= SUCCESS_AUC)
    stop_point(should_stop, "test measurements", log, model)
    return Trained(arm, model, log, summary=_measure(model, config, clean, device),
                   extra={"steps_to_target": log.steps_to_success})


def _measure(model, config, clean, device) -> dict:
    """Test-probe ROC AUC, average precision, and precision/recall at the clean threshold."""
    threshold = quantile_threshold(step_scores(model, clean, config.window),
                                   THRESHOLD_QUANTILE)
    test, test_x = _probes(config, "test", TEST_PROBES, device)
    scores = step_scores(model, test_x, config.window).cpu()
    precision, recall = precision_recall(scores, test.labels, threshold)
    fitted = false_alarm_rate(step_scores(model, clean, config.window).cpu(), threshold)
    # fresh clean series from a stream this lab uses for nothing else
    held_out = normal_series(CLEAN_SERIES, PROBE_LENGTH, stream(config.seed, "examples"))
    held_out_rate = false_alarm_rate(step_scores(model, held_out.to(device),
                                                 config.window).cpu(), threshold)
    curve = roc_curve(scores, test.labels)
    stride = max(1, len(curve["fpr"]) // CURVE_POINTS)
    by_kind: dict = {}
    for s, segments in enumerate(test.segments):
        for start, end, kind in segments:
            by_kind.setdefault(kind, []).append(float(scores[s, start:end].max() >= threshold))
    return {"auc": roc_auc(scores, test.labels), "ap": average_precision(scores, test.labels),
            "precision": precision, "recall": recall, "threshold": threshold,
            # held out: the test probes' normal steps, which the threshold never saw
            "false_alarm_rate": false_alarm_rate(scores, threshold, test.labels),
            "false_alarm_clean_held_out": held_out_rate, "false_alarm_fitted": fitted,
            "parameters": parameter_count(model),
            "roc": {k: v[::stride] + v[-1:] for k, v in curve.items()},
            "operating_point": {"fpr": _rate(scores, test.labels, threshold, positive=False),
                                "tpr": recall},
            "caught_by_kind": {k: sum(v) / len(v) for k, v in by_kind.items()},
            "anomalous_fraction": float(test.labels.mean())}


def _rate(scores, labels, threshold: float, positive: bool) -> float:
    chosen = labels > 0.5 if positive else labels < 0.5
    return float((scores[chosen] >= threshold).float().mean()) if chosen.any() else 0.0


def run_anomaly(config, on_step=None, should_stop=None):
    start = time.perf_counter()
    device = pick_device()
    forms = [config.form] + ([f for f in FORMS if f != config.form]
                                if config.compare_forms else [])
    arms = [Arm(f, spec=AutoencoderSpec(config, device, f)) for f in forms]
    trained = train_arms(arms, _train_autoencoder, steps=config.steps, on_step=on_step,
                         should_stop=should_stop)
    stopped = stopped_result(config, start, trained, should_stop, arms)
    if stopped is not None:
        return stopped
    main = trained[0].summary
    metrics = {
        "roc_auc": main["auc"], "average_precision": main["ap"],
        "precision": main["precision"], "recall": main["recall"],
        "threshold": main["threshold"], "false_alarm_rate": main["false_alarm_rate"],
        "false_alarm_target": 1 - THRESHOLD_QUANTILE,
        "false_alarm_fitted": main["false_alarm_fitted"],
        "false_alarm_clean_held_out": main["false_alarm_clean_held_out"],
        "false_alarm_rate_by_model": {t.name: t.summary["false_alarm_rate"] for t in trained},
        "parameters_by_model": {t.name: t.summary["parameters"] for t in trained},
        "caught_by_kind": main["caught_by_kind"],
        "anomalous_fraction": main["anomalous_fraction"],
        "roc_auc_by_model": {t.name: t.summary["auc"] for t in trained},
        "recall_by_model": {t.name: t.summary["recall"] for t in trained},
        "precision_by_model": {t.name: t.summary["precision"] for t in trained},
        "final_loss_by_model": {t.name: _last_loss(t) for t in trained},
        "steps_to_target_by_model": {t.name: t.extra["steps_to_target"] for t in trained},
        "threshold_quantile": THRESHOLD_QUANTILE, "test_probes": TEST_PROBES,
        "probe_length": PROBE_LENGTH,
    }
    arrays = {"roc": {t.name: t.summary["roc"] for t in trained},
              "operating_points": {t.name: t.summary["operating_point"] for t in trained}}
    success = main["auc"] >= SUCCESS_AUC
    return finish(config, start, trained, metrics=metrics, arrays=arrays,
                  success=success, status=run_status(trained, len(arms), success))


def _last_loss(t: Trained):
    return next((h["loss"] for h in reversed(t.log.history) if h.get("loss") is not None), None)
