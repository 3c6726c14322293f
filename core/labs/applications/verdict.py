"""The applications' results in one sentence each: the section's criterion and what the
headline model measured against it on the test set."""
from __future__ import annotations

from core.verdict import number, outcome, steps_text

SUCCESS_AUC = 0.8  # anomaly: ROC AUC of the headline autoencoder's score
SUCCESS_PR_AUC = 0.5  # events, per-step losses: precision-recall AUC
SUCCESS_DETECTION_AUC = 0.8  # events, by density: ROC AUC of detecting the event
SUCCESS_ACCURACY = 0.9  # multitask: both heads of the shared model


def _dna(result) -> str:
    m = result.metrics
    acc = m["accuracy_by_model"]
    head = next(iter(acc))
    return (f"Criterion: test accuracy of at least {result.config['target_acc']:.2f} for the "
            f"{head}: " + ", ".join(f"{n} {number(a)}" for n, a in acc.items())
            + f" {steps_text(result)}, beside motif presence alone "
            f"{number(m['presence_ceiling'])} on the same test set — {outcome(result)}.")


def _multitask(result) -> str:
    m = result.metrics
    return (f"Criterion: test accuracy of at least {SUCCESS_ACCURACY:.2f} on both tasks for "
            f"the shared model: tagging {number(m['accuracy_tag'])}, sequence "
            f"{number(m['accuracy_seq'])} {steps_text(result)} — {outcome(result)}.")


def _anomaly(result) -> str:
    m = result.metrics
    return (f"Criterion: ROC AUC of at least {SUCCESS_AUC:.2f} for the headline autoencoder's "
            f"anomaly score on the test probes: " + ", ".join(
                f"{n} {number(a)}" for n, a in m["roc_auc_by_model"].items())
            + f" {steps_text(result)} — {outcome(result)}.")


def _events(result) -> str:
    m = result.metrics
    if "pr_auc" in m:
        what, limit = "precision-recall AUC", SUCCESS_PR_AUC
    else:
        what, limit = "event-detection ROC AUC", SUCCESS_DETECTION_AUC
    return (f"Criterion: {what} of at least {limit:.2f} for the headline model on the test "
            "streams: " + ", ".join(f"{n} {number(a)}" for n, a in m["score_by_model"].items())
            + f" {steps_text(result)} — {outcome(result)}.")


SECTIONS = {"dna": _dna, "multitask": _multitask, "anomaly": _anomaly, "events": _events}


def verdict(result) -> str:
    return SECTIONS[result.config["section"]](result)
