"""Knob extremes: every lab at the top of every numeric knob runs (a few steps) or is refused
with a message, a diverging run says so, and nothing raises."""
import resource

import pytest

from core.contract import knobs
from core.labs import all_labs

MEMORY_CAP_MB = 8000  # two such runs at once still fit a 24 GB machine


def extreme_overrides(lab) -> dict:
    over = {}
    for f in knobs(lab.Config):
        meta = f.metadata
        if f.name == "seed" or isinstance(f.default, bool) or meta["choices"] is not None:
            continue
        if meta["max"] is not None:
            over[f.name] = meta["max"]
    over["steps"] = 5  # on the step grid (min 0, step 5) every migrated lab uses
    for name in ("eval_every", "ae_steps"):
        if name in over:
            over[name] = lab.Config.__dataclass_fields__[name].metadata["min"] or 1
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
