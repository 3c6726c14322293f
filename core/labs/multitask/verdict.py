"""The Multi-task lab's result in one sentence: both heads of the shared model against the
test-accuracy criterion."""
from __future__ import annotations

from core.labs.multitask.training import SUCCESS_ACCURACY
from core.verdict import number, outcome, steps_text


def verdict(result) -> str:
    m = result.metrics
    return (f"Criterion: test accuracy of at least {SUCCESS_ACCURACY:.2f} on both tasks for "
            f"the shared model: tagging {number(m['accuracy_tag'])}, sequence "
            f"{number(m['accuracy_seq'])} {steps_text(result)} — {outcome(result)}.")
