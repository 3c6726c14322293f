"""Bidirectional's result in one sentence: test accuracy against its 0.9 criterion, and the
one-directional model's against the causal bound when the task has one."""
from __future__ import annotations

from core.labs.bidirectional.training import SUCCESS_ACCURACY
from core.verdict import model_name, number, outcome, steps_text


def verdict(result) -> str:
    m = result.metrics
    by_direction = m.get("by_direction") or {result.config["direction"]: m}
    parts = [f"{model_name(name)} {number(s['accuracy'])}" for name, s in by_direction.items()]
    bound = m.get("causal_bound")
    limit = ("" if bound is None else
             f"; no one-directional model can beat the causal bound {number(bound)}")
    return (f"Criterion: test accuracy of at least {SUCCESS_ACCURACY:.2f} (chance "
            f"{number(m['chance_accuracy'])}): " + ", ".join(parts) + f" {steps_text(result)}"
            + limit + f" — {outcome(result)}.")
