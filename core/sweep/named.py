"""Named sweeps: the curves a lecture shows, declared by each lab on its LabSpec (`sweeps`).
Each is checked against its lab's Config by the tests, so a renamed knob fails there, not in
front of a class."""
from __future__ import annotations

from core.sweep_spec import SweepSpec

def lab_sweeps(lab) -> dict[str, SweepSpec]:
    """The named sweeps of a lab, by name."""
    return {spec.name: spec for spec in getattr(lab, "sweeps", ())}
