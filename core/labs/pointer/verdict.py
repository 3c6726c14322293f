"""Pointer's result in one sentence: exact-match test accuracy on the training lengths
against its 0.9 criterion, the rate of valid permutations, and the longer lengths."""
from __future__ import annotations

from core.verdict import model_name, number, outcome, steps_text

SUCCESS_ACCURACY = 0.9  # exact match on the training lengths (core/labs/pointer/__init__.py)


def verdict(result) -> str:
    m = result.metrics
    parts = [f"{model_name(name)} {number(c.get('accuracy'))} (valid permutations "
             f"{number(c.get('valid_permutation_rate'))}, longer inputs "
             f"{number(c.get('accuracy_beyond_training'))})"
             for name, c in (m.get("comparison") or {"": m}).items()]
    return (f"Criterion: exact-match test accuracy of at least {SUCCESS_ACCURACY:.2f} on the "
            "training lengths (a masked pointer must also emit only valid permutations): "
            + "; ".join(parts) + f" {steps_text(result)} — {outcome(result)}.")
