"""Knob extremes: every lab at the top of every numeric knob runs (a few steps) or is refused
with a message, a diverging run says so, and nothing raises."""
import resource

import pytest

from core.contract import knobs
from core.labs import all_labs

MEMORY_CAP_MB = 8000  # two such runs at once still fit a 24 GB machine


def smallest_positive(meta: dict):
    """The smallest value above zero a knob's slider offers: min + k·step."""
    low, step = meta["min"] or 0, meta["step"] or 1
    return low if low > 0 else step


def extreme_overrides(lab) -> dict:
    """Every numeric knob at its maximum, except the ones that count training steps or
    steps between measurements (named *steps or *every), which take their smallest positive
    value so the run stays a few steps long."""
    over = {}
    for f in knobs(lab.Config):
        meta = f.metadata
        if f.name == "seed" or isinstance(f.default, bool) or meta["choices"] is not None:
            continue
        if f.name.endswith(("steps", "every")):
            over[f.name] = smallest_positive(meta)
        elif meta["max"] is not None:
            over[f.name] = meta["max"]
    return over


@pytest.mark.slow
@pytest.mark.parametrize("lab", list(all_labs().values()), ids=lambda lab: lab.id)
def test_every_knob_at_its_maximum_runs_within_the_memory_cap(lab):
    result = lab.run(lab.make_config(extreme_overrides(lab)))
    assert result.status in ("completed", "succeeded", "stopped", "diverged")
    if result.status == "diverged":
        assert "non-finite" in result.message or "became" in result.message
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert peak_mb < MEMORY_CAP_MB, f"{lab.id}: {peak_mb:.0f} MB"
