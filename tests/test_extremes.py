"""Knob extremes: every lab at the top of every numeric knob runs (a few steps) or is refused
with a message, a diverging run says so, and nothing raises. Each run is its own process, so
the memory it reports is that run's own peak, not the test process's (which holds whatever
every earlier test loaded)."""
import json
import subprocess
import sys

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


# Runs one lab in a fresh interpreter and prints its outcome and the process's own peak RSS.
RUN_ONE = """
import json, resource, sys
from core.labs import get_lab
lab = get_lab(sys.argv[1])
result = lab.run(lab.make_config(json.loads(sys.argv[2])))
print(json.dumps({"lab": result.lab, "status": result.status, "steps": result.steps,
                  "message": result.message,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
from core.device import exit_process
exit_process(0)  # as the command line ends (see exit_process)
"""


@pytest.mark.slow
@pytest.mark.parametrize("lab", list(all_labs().values()), ids=lambda lab: lab.id)
def test_every_knob_at_its_maximum_runs_within_the_memory_cap(lab):
    overrides = extreme_overrides(lab)
    out = subprocess.run([sys.executable, "-c", RUN_ONE, lab.id, json.dumps(overrides)],
                         capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stderr[-2000:]
    run = json.loads(out.stdout.strip().splitlines()[-1])
    # nobody pressed Stop, so the run ended by itself: trained its few steps, stopped early
    # at its criterion, or diverged and said so
    assert run["lab"] == lab.id and run["status"] in ("completed", "succeeded", "diverged")
    if "steps" in overrides:
        assert run["steps"] <= overrides["steps"]
    if run["status"] == "diverged":
        assert "non-finite" in run["message"] or "became" in run["message"]
    assert run["peak_mb"] < MEMORY_CAP_MB, f"{lab.id}: {run['peak_mb']:.0f} MB"
