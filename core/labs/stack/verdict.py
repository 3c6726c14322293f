"""The stack lab's result in one sentence: accuracy on fresh strings of the training lengths
(criterion 0.99) and on longer, deeper ones (criterion 0.95), per model."""
from __future__ import annotations

from core.verdict import model_name, number, outcome, steps_text

SUCCESS_ACCURACY = 0.99  # on fresh test strings of the training lengths
SUCCESS_LONG = 0.95  # on the longer test strings: the lab's claim is generalisation


def verdict(result) -> str:
    m = result.metrics
    parts = [f"{model_name(name)} {number(c.get('accuracy'))} and {number(c.get('accuracy_long'))}"
             for name, c in (m.get("comparison") or {"": m}).items()]
    return (f"Criterion: accuracy of at least {SUCCESS_ACCURACY:.2f} on fresh strings of the "
            f"training lengths and {SUCCESS_LONG:.2f} on longer ones: " + "; ".join(parts)
            + f" {steps_text(result)} — {outcome(result)}.")
