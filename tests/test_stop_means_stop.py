"""Stop means stop: at every lab's largest settings, a stop that comes after the first
training step ends the run without another model call — no evaluation, no test-set
measurement, no rival — and the Result names the measurements it skipped.

Counted, not timed: a global forward hook counts every module call made after the stop
(tests never assert a wall-clock time). Each run trains a single step, so the largest
settings stay affordable."""
import gc

import pytest
import torch

from core.arm_scheduler import arms_at_once
from core.contract import knobs
from core.labs import all_labs
from core.measure import skipped_note
from tests.test_extremes import extreme_overrides


class StopAfterFirstStep:
    """`on_step` and `should_stop` for a run: stop is asked for as soon as one training step
    has been reported; from then on every module call is counted."""

    def __init__(self) -> None:
        self.stopped = False
        self.calls_after_stop = 0

    def on_step(self, step: int, metrics: dict) -> None:
        if "loss" in metrics and not metrics.get("eval"):
            self.stopped = True

    def should_stop(self) -> bool:
        return self.stopped

    def count(self, module, inputs, output) -> None:
        if self.stopped:
            self.calls_after_stop += 1


@pytest.mark.slow  # a first step at the largest settings takes up to a minute here
@pytest.mark.parametrize("lab", list(all_labs().values()), ids=lambda lab: lab.id)
def test_a_stop_after_the_first_step_at_the_largest_settings_measures_nothing_more(lab):
    overrides = extreme_overrides(lab)
    for f in knobs(lab.Config):  # two grid steps above the smallest: more than one step
        if f.name in overrides and f.name.endswith("steps"):
            overrides[f.name] += 2 * (f.metadata["step"] or 1)
    config = lab.make_config(overrides)
    watch = StopAfterFirstStep()
    hook = torch.nn.modules.module.register_module_forward_hook(watch.count)
    try:
        # one model at a time: a rival training beside the headline model would take its own
        # held-back step after the stop, which this count of forward calls would include
        with arms_at_once(1):
            result = lab.run(config, on_step=watch.on_step, should_stop=watch.should_stop)
    finally:
        hook.remove()
        gc.collect()
    assert watch.stopped, "the run never reported a training step"
    assert result.status == "stopped"
    assert result.steps == 1
    assert watch.calls_after_stop == 0
    skipped = result.metrics["skipped"]
    assert skipped and all(isinstance(piece, str) and piece for piece in skipped)
    assert skipped[0] in skipped_note(result)
    result.to_json()  # the stopped Result still serialises for the page and the cache
