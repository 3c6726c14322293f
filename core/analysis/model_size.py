"""How big a model is, for every comparison that sets models side by side: its parameter
count (the sum of numel over its parameters, trainable or held), a width that matches a
target count, and the label a legend gives each model.

A comparison whose claim is about architecture (attention against recurrence, a hybrid
against its parts) is only fair at matched sizes, or with the sizes in view: a model with
ten times the parameters can win for that reason alone.
"""
from __future__ import annotations

from typing import Callable, Iterable

from torch import nn


def parameter_count(model: nn.Module) -> int:
    """sum(p.numel()) over every parameter of the model, each tensor counted once."""
    return sum(p.numel() for p in model.parameters())


def matched_width(build: Callable[[int], nn.Module], target: int,
                  widths: Iterable[int]) -> tuple[int, int]:
    """The width w among `widths` whose model build(w) has the parameter count nearest
    `target` (the smaller width on a tie). Returns (w, its count)."""
    best = None
    for width in sorted(widths):
        count = parameter_count(build(width))
        if best is None or abs(count - target) < abs(best[1] - target):
            best = (width, count)
    if best is None:
        raise ValueError("matched_width needs at least one width to try")
    return best


def size_label(name: str, parameters: int | None, steps: int | None = None) -> str:
    """'LSTM (19,720 params, 450 steps)': a model's name with what a fair reading needs."""
    parts = ([f"{parameters:,} params"] if parameters is not None else []) + \
            ([f"{steps:,} steps"] if steps is not None else [])
    return f"{name} ({', '.join(parts)})" if parts else name
