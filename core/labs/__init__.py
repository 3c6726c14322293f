"""The lab registry: every module in this package that defines `LAB` is a lab.

A module that fails to import is kept out of the registry and reported by `broken_labs()`
(the tests assert it is empty), so one broken lab cannot take the other pages down.
"""
from __future__ import annotations

import importlib
import pkgutil
import traceback
from functools import lru_cache

from core.contract import LabSpec

_BROKEN: dict[str, str] = {}


@lru_cache(maxsize=1)
def all_labs() -> dict[str, LabSpec]:
    labs: dict[str, LabSpec] = {}
    for info in pkgutil.iter_modules(__path__):
        try:
            module = importlib.import_module(f"{__name__}.{info.name}")
        except Exception:
            _BROKEN[info.name] = traceback.format_exc()
            continue
        spec = getattr(module, "LAB", None)
        if isinstance(spec, LabSpec):
            labs[spec.id] = spec
    return dict(sorted(labs.items(), key=lambda item: (item[1].order, item[0])))


def broken_labs() -> dict[str, str]:
    all_labs()
    return dict(_BROKEN)


def get_lab(lab_id: str) -> LabSpec:
    labs = all_labs()
    if lab_id not in labs:
        raise KeyError(f"unknown lab {lab_id!r}; known labs: {', '.join(labs)}")
    return labs[lab_id]
