"""Named sweeps: the curves a lecture shows, by lab.

A lab may declare its own as `SWEEPS = (SweepSpec(..., name="..."), ...)` in its module (or a
`sweeps` field on its LabSpec); until it does, the ones below stand in. Each is checked
against its lab's Config by the tests, so a renamed knob fails there, not in front of a class.
"""
from __future__ import annotations

import sys

from core.sweep.spec import SweepSpec

SUGGESTED = {
    "attention": (
        SweepSpec(name="accuracy vs length", metric="accuracy", seeds=3,
                  vary={"max_len": (5, 10, 15, 20), "attention": ("none", "dot")},
                  overrides={"compare_none": False}),
        SweepSpec(name="alignment entropy vs length", metric="alignment_entropy_ratio",
                  seeds=3, vary={"max_len": (5, 10, 15, 20), "attention": ("additive", "dot")},
                  overrides={"compare_none": False}),
    ),
    "vrae": (
        SweepSpec(name="KL vs annealing schedule", metric="kl", seeds=3,
                  vary={"kl_schedule": ("none", "linear", "sigmoid", "cyclical")}),
    ),
}


def lab_sweeps(lab) -> dict[str, SweepSpec]:
    """The named sweeps of a lab: its own declaration if it has one, else the stand-ins."""
    declared = getattr(lab, "sweeps", None)
    if not declared:
        declared = getattr(sys.modules.get(getattr(lab.run, "__module__", "")), "SWEEPS", ())
    specs = tuple(declared) or SUGGESTED.get(lab.id, ())
    return {spec.name: spec for spec in specs}
