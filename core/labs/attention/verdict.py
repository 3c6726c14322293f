"""Attention's result in one sentence: exact-match test accuracy on the training lengths
against its 0.9 criterion, with the alignment's sharpness when the model attends."""
from __future__ import annotations

from core.verdict import model_name, number, outcome, steps_text

SUCCESS_ACCURACY = 0.9  # exact match on the test stream (core/labs/attention/__init__.py)


def verdict(result) -> str:
    m = result.metrics
    parts = [f"{model_name(name)} {number(c['accuracy'])}"
             for name, c in (m.get("comparison") or {"": m}).items()]
    sharp = m.get("alignment_entropy_ratio")
    sharpness = ("" if sharp is None else
                 f"; alignment entropy {number(sharp)} of ln T_x (uniform is 1)")
    return (f"Criterion: exact-match test accuracy of at least {SUCCESS_ACCURACY:.2f} on the "
            f"training lengths: " + ", ".join(parts) + f" {steps_text(result)}" + sharpness
            + f" — {outcome(result)}.")
