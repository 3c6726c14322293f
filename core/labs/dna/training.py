"""How the DNA lab trains: a CNN, a BiLSTM and the CNN -> BiLSTM hybrid on a regulatory
grammar (core.tasks.dna_grammar), same data and seed.

Each model trains for the run's steps on the training stream; every `eval_every` steps its
accuracy on the validation set is measured (the live headline: accuracy over training per
model) and the first step and second at which it reaches the target accuracy are kept. The
reported accuracies come from a separate test set. Afterwards the hybrid's and the CNN's
first-layer filters are read as logos and matched to the planted motifs, and the hybrid's
saliency is taken along a probe sequence.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from core.analysis.model_size import matched_width, parameter_count
from core.analysis.sequence_logo import filter_count_matrices, information_content, match_filters
from core.measure import stop_point, stoppable, stopped_result
from core.arms import Arm, Trained, finish, run_status, train_arms
from core.device import build_seeded, pick_device, stream
from core.labs.dna.probes import read_sequence
from core.models.dna import KINDS, build_dna_model
from core.tasks.dna_grammar import (KIND_NAMES, POSITIVE, DnaGrammar, make_grammar,
                                    occurrences)
from core.train import train

if TYPE_CHECKING:  # the Config lives in the package's __init__, which imports this module
    from core.labs.dna import Config

VALIDATION_SIZE = 512
TEST_SIZE = 1024
POOL = 4  # max-pool after the motif scanner: the BiLSTM reads L/4 steps
LABELS = {"hybrid": "CNN → BiLSTM", "cnn": "CNN", "rnn": "BiLSTM"}


def grammar(config) -> DnaGrammar:
    return make_grammar(config.length, config.motif_width, config.gap_min, config.gap_max,
                        config.mismatch, stream(config.seed, "reference"))


def presence_ceiling(batch, task: DnaGrammar) -> float:
    """The best accuracy any rule that knows only whether A and whether B occur can reach on
    this batch: in each of the four presence patterns it predicts the majority label."""
    has_a = occurrences(batch.tokens, task.motif_a).any(1)
    has_b = occurrences(batch.tokens, task.motif_b).any(1)
    pattern = has_a.long() * 2 + has_b.long()
    correct = 0.0
    for p in range(4):
        labels = batch.label[pattern == p]
        positives = float(labels.sum())
        correct += max(positives, labels.numel() - positives)
    return correct / batch.label.numel()


def model_sizes(config) -> dict[str, dict]:
    """Each model's filters and hidden units: the knobs', or with Matched parameters the
    CNN's filters (up to 256) and the BiLSTM's hidden units (8 to 256) whose parameter
    counts are nearest the hybrid's."""
    sizes = {kind: {"filters": config.filters, "hidden": config.hidden} for kind in KINDS}
    if config.matched:
        def build(kind, **size):
            return build_dna_model(kind, width=config.motif_width, pool=POOL,
                                   **{**sizes[kind], **size})
        target = parameter_count(build("hybrid"))
        sizes["cnn"]["filters"] = matched_width(lambda f: build("cnn", filters=f), target,
                                                range(4, 257))[0]
        sizes["rnn"]["hidden"] = matched_width(lambda h: build("rnn", hidden=h), target,
                                               range(8, 257))[0]
    return sizes


def _build(config, kind: str, size: dict):
    return build_seeded(config.seed, lambda: build_dna_model(
        kind, width=config.motif_width, pool=POOL, **size))


@torch.no_grad()
def _accuracy(model, batch) -> float:
    model.eval()
    acc = float(((model(batch.x) > 0).float() == batch.label).float().mean())
    model.train()
    return acc


@dataclass(frozen=True)
class ModelSpec:
    """What one arm of the DNA lab trains: the run's Config, the grammar, the model's
    kind and size (its filters and hidden units), and the device."""
    config: "Config"
    task: DnaGrammar
    kind: str
    size: dict
    device: object


@stoppable
def _train_model(arm: Arm, steps: int, report, should_stop) -> Trained:
    spec: ModelSpec = arm.spec
    config, task, device = spec.config, spec.task, spec.device
    with torch.device(device):
        model = _build(config, spec.kind, spec.size)
    data = stream(config.seed, "train")
    validation = task.sample(VALIDATION_SIZE, stream(config.seed, "validation"), device)
    curve = {"steps": [], "accuracy": []}
    ceiling = presence_ceiling(validation, task)

    def step_fn(step: int):
        b = task.sample(config.batch, data, device)
        return F.binary_cross_entropy_with_logits(model(b.x), b.label)

    def evaluate(step: int) -> dict:
        acc = _accuracy(model, validation)
        curve["steps"].append(step)
        curve["accuracy"].append(acc)
        return {"accuracy": acc, "live": {"steps": list(curve["steps"]),
                                          "accuracy": list(curve["accuracy"]),
                                          "presence_ceiling": ceiling}}

    log = train(list(model.parameters()), step_fn, steps=steps, lr=config.lr, clip=1.0,
                evaluate=evaluate, eval_every=config.eval_every, on_step=report,
                should_stop=should_stop, target=lambda m: m["accuracy"] >= config.target_acc)
    stop_point(should_stop, "test measurements", log, model)
    test = task.sample(TEST_SIZE, stream(config.seed, "test"), device)
    return Trained(arm, model, log, summary={
        "accuracy": _accuracy(model, test), "parameters": parameter_count(model),
        "steps_to_target": log.steps_to_success,
        "seconds_to_target": log.seconds_to_success})


def _logos(model, task: DnaGrammar, test, config) -> dict:
    """The planted motifs' logos and the best-matching first-layer filter for each."""
    planted = [task.motif_a.frequencies(config.mismatch),
               task.motif_b.frequencies(config.mismatch)]
    with torch.no_grad():
        acts = model.scanner.activations(test.x)
    counts, stacked = filter_count_matrices(acts, test.x, config.motif_width)
    matches = match_filters(counts.cpu(), planted)
    logos = {}
    for name, motif, freq, match in zip(("A", "B"), (task.motif_a, task.motif_b), planted,
                                        matches):
        logos[name] = {"consensus": motif.text(), "planted": information_content(freq),
                       "filter": match["filter"], "similarity": match["similarity"],
                       "shift": match["shift"], "windows": int(stacked[match["filter"]]),
                       "learned": information_content(match["counts"])}
    return logos


def _saliency_probe(model, task: DnaGrammar, config) -> dict:
    """The hybrid's reading of the first positive probe sequence."""
    probe = task.sample(16, stream(config.seed, "probe"))
    i = int((probe.kind == POSITIVE).nonzero()[0]) if (probe.kind == POSITIVE).any() else 0
    return read_sequence(model, task, probe.tokens[i])


def run_dna(config, on_step=None, should_stop=None):
    start = time.perf_counter()
    device = pick_device()
    task = grammar(config)
    sizes = model_sizes(config)
    arms = [Arm(LABELS[kind], spec=ModelSpec(config, task, kind, sizes[kind], device))
            for kind in KINDS]
    trained = train_arms(arms, _train_model, steps=config.steps, on_step=on_step,
                         should_stop=should_stop)
    stopped = stopped_result(config, start, trained, should_stop, arms)
    if stopped is not None:
        return stopped
    test = task.sample(TEST_SIZE, stream(config.seed, "test"), device)
    validation = task.sample(VALIDATION_SIZE, stream(config.seed, "validation"), device)
    by_name = {t.name: t for t in trained}
    accuracy = {t.name: t.summary["accuracy"] for t in trained}
    hybrid = trained[0]
    others = [a for name, a in accuracy.items() if name != hybrid.name]
    metrics = {
        "accuracy": hybrid.summary["accuracy"],
        "accuracy_by_model": accuracy,
        "parameters_by_model": {t.name: t.summary["parameters"] for t in trained},
        "steps_by_model": {t.name: t.log.steps for t in trained},
        "steps_to_target_by_model": {t.name: t.summary["steps_to_target"] for t in trained},
        "seconds_to_target_by_model": {t.name: t.summary["seconds_to_target"] for t in trained},
        "hybrid_lead": hybrid.summary["accuracy"] - max(others) if others else None,
        "presence_ceiling": presence_ceiling(test, task),
        "presence_ceiling_validation": presence_ceiling(validation, task),
        "majority_accuracy": max(float(test.label.mean()), 1 - float(test.label.mean())),
        "target_acc": config.target_acc,
        "cnn_receptive_field": (by_name[LABELS["cnn"]].model.receptive_field
                                if LABELS["cnn"] in by_name else None),
        "test_size": TEST_SIZE,
        "decoy_fractions": {KIND_NAMES[k]: float((test.kind == k).float().mean())
                            for k in range(len(KIND_NAMES))},
    }
    arrays = {"motifs": {"A": task.motif_a.text(), "B": task.motif_b.text()}}
    if not (should_stop is not None and should_stop()):
        arrays["logos"] = {name: _logos(by_name[name].model, task, test, config)
                           for name in (LABELS["hybrid"], LABELS["cnn"]) if name in by_name}
        arrays["saliency"] = _saliency_probe(hybrid.model, task, config)
        for name, logos in arrays["logos"].items():
            for motif in ("A", "B"):
                metrics.setdefault("motif_match", {}).setdefault(name, {})[motif] = \
                    logos[motif]["similarity"]
    success = hybrid.summary["accuracy"] >= config.target_acc
    return finish(config, start, trained, metrics=metrics, arrays=arrays,
                  success=success, status=run_status(trained, len(arms), success),
                  artifacts={"task": task})

