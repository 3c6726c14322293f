"""Recurrence vs Attention's result in one sentence: each model's test accuracy and steps
against the 0.9 criterion, and how much more far gradient attention receives."""
from __future__ import annotations

from core.labs.paths.training import STOP_ACCURACY
from core.verdict import model_name, number, outcome

SUCCESS_ACCURACY = 0.9  # test accuracy of the headline model (core/labs/paths/__init__.py)


def verdict(result) -> str:
    m = result.metrics
    steps = m.get("steps_by_model") or {}
    head = next(iter(m["accuracy_by_model"]))
    parts = [f"{model_name(name)} {number(acc)} after {steps.get(name, result.steps)} steps"
             for name, acc in m["accuracy_by_model"].items()]
    reach = m.get("reach_contrast")
    far = ("" if reach is None else
           f"; attention's far gradient is {number(reach, 1)} decades above the tanh RNN's")
    why = (f" (each model trains until its validation accuracy reaches {STOP_ACCURACY:.2f} or "
           "its steps run out, so their steps differ)" if len(set(steps.values())) > 1 else "")
    return (f"Criterion: test accuracy of at least {SUCCESS_ACCURACY:.2f} for the "
            f"{model_name(head)} (chance {number(m['chance_accuracy'], 3)}): "
            + ", ".join(parts) + why + far + f" — {outcome(result)}.")
