"""What the four sections of the Applications lab share: the record of when a model first
reached a target."""
from __future__ import annotations

import time

class FirstCrossing:
    """The first training step, and seconds since the model started training, at which a
    measured value reached its target."""

    def __init__(self, target: float) -> None:
        self.target = target
        self.started = time.perf_counter()
        self.step: int | None = None
        self.seconds: float | None = None

    def see(self, step: int, value: float) -> None:
        if self.step is None and value >= self.target:
            self.step, self.seconds = step, time.perf_counter() - self.started
