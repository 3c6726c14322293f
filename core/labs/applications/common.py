"""What the four sections of the Applications lab share: how a run that trains its full
length ends, and the record of when a model first reached a target."""
from __future__ import annotations

import time

from core.arms import ENDED_EARLY


def finished_status(trained: list, planned: int, success: bool) -> str:
    """The sections train every model for the full number of steps on purpose (so the
    curves show where each one levels off): a run that did so and met its criterion has
    succeeded; one that was stopped (or whose later models were skipped) says so."""
    for t in trained:
        if t.log.status in ENDED_EARLY:
            return t.log.status
    if len(trained) < planned:
        return "stopped"
    return "succeeded" if success else "completed"


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
