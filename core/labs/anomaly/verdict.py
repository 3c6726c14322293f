"""The Anomaly Detection lab's result in one sentence: each autoencoder's ROC AUC on the test
probes against the headline one's criterion."""
from __future__ import annotations

from core.labs.anomaly.training import SUCCESS_AUC
from core.verdict import number, outcome, steps_text


def verdict(result) -> str:
    m = result.metrics
    return (f"Criterion: ROC AUC of at least {SUCCESS_AUC:.2f} for the headline autoencoder's "
            f"anomaly score on the test probes: " + ", ".join(
                f"{n} {number(a)}" for n, a in m["roc_auc_by_model"].items())
            + f" {steps_text(result)} — {outcome(result)}.")
