"""The Rare Events lab's result in one sentence: the headline detector's precision-recall AUC
(comparing losses) or event-detection ROC AUC (comparing densities) against its criterion."""
from __future__ import annotations

from core.labs.events.training import SUCCESS_DETECTION_AUC, SUCCESS_PR_AUC
from core.verdict import number, outcome, steps_text


def verdict(result) -> str:
    m = result.metrics
    if "pr_auc" in m:
        what, limit = "precision-recall AUC", SUCCESS_PR_AUC
    else:
        what, limit = "event-detection ROC AUC", SUCCESS_DETECTION_AUC
    return (f"Criterion: {what} of at least {limit:.2f} for the headline model on the test "
            "streams: " + ", ".join(f"{n} {number(a)}" for n, a in m["score_by_model"].items())
            + f" {steps_text(result)} — {outcome(result)}.")
