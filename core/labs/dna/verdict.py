"""The DNA lab's result in one sentence: the hybrid's test accuracy against the target, the
rivals' beside it, and what motif presence alone reaches on the same test set."""
from __future__ import annotations

from core.verdict import number, outcome, steps_text


def verdict(result) -> str:
    m = result.metrics
    acc = m["accuracy_by_model"]
    head = next(iter(acc))
    return (f"Criterion: test accuracy of at least {result.config['target_acc']:.2f} for the "
            f"{head}: " + ", ".join(f"{n} {number(a)}" for n, a in acc.items())
            + f" {steps_text(result)}, beside motif presence alone "
            f"{number(m['presence_ceiling'])} on the same test set — {outcome(result)}.")
