"""Gradient Flow's result in one sentence: test accuracy against its 0.9 criterion, and the
fraction of the gradient each cell keeps back at the first step."""
from __future__ import annotations

from core.verdict import model_name, number, outcome, steps_by_model

SUCCESS_ACCURACY = 0.9  # the lab's criterion (core/labs/gradients/__init__.py)


def verdict(result) -> str:
    m = result.metrics
    cell = result.config["cell"]
    comparison = m.get("comparison") or {cell: {"accuracy": m["accuracy"],
                                                "grad_ratio_first_last":
                                                    m["grad_ratio_first_last"]}}
    steps = steps_by_model(result)
    parts = [f"the {model_name(name)} reaches test accuracy {number(c['accuracy'])} after "
             f"{steps.get(name, result.steps)} steps and keeps "
             f"{number(c['grad_ratio_first_last'])} of its gradient at t = 1 (relative to "
             f"t = T)" for name, c in comparison.items()]
    why = (" (each model stops at the step its validation accuracy reaches the criterion, so "
           "their steps differ)" if len(set(steps.values())) > 1 else "")
    return (f"Criterion: test accuracy of at least {SUCCESS_ACCURACY:.2f} on marked recall "
            f"(chance {number(m['chance_accuracy'])}) for the {model_name(cell)}: "
            + "; ".join(parts) + why + f" — {outcome(result)}.")
