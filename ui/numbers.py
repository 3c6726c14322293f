"""How a page writes a measured number: formatted, or "—" when the run has none (not measured
yet, not defined for this run, or not finite), so every page shows a missing value the same
way."""
from __future__ import annotations

import math

MISSING = "—"


def shown(value, spec: str = ".2f", unit: str = "") -> str:
    """`value` in the format `spec` followed by `unit`, or MISSING."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    return format(value, spec) + unit
