"""Every study and every interactive probe creates its tensors on an explicit device.

With torch's default device set to meta, a tensor made without `device=` lands on meta and
fails to mix with the CPU model: the same mistake would leave a tensor on the CPU beside a
model on the GPU. The labs' main runs have their own test of this; here are the studies
(every lab's, at its smoke settings) and the probes the pages call on a trained run.
"""
from __future__ import annotations

import importlib
import pkgutil

import pytest
import torch

import core.labs
from core.labs import all_labs

STUDIES = [(lab.id, study.name) for lab in all_labs().values() for study in lab.studies]


@pytest.fixture
def meta_default_device():
    torch.set_default_device("meta")
    try:
        yield
    finally:
        torch.set_default_device(None)


@pytest.mark.parametrize(("lab_id", "study_name"), STUDIES)
def test_study_runs_with_the_default_device_set_to_meta(lab_id, study_name, meta_default_device):
    lab = all_labs()[lab_id]
    result = lab.study(study_name).run(lab.make_config(lab.smoke))
    assert result.status in ("completed", "succeeded")
    result.to_json()  # no meta tensor reached the figures' data


def probe(lab_id: str, name: str):
    """The function `name` defined in one of the lab's modules, wherever the lab keeps it
    (a module of its package, core/labs/<id>/)."""
    for info in pkgutil.walk_packages(core.labs.__path__, "core.labs."):
        if lab_id not in info.name:
            continue
        module = importlib.import_module(info.name)
        found = getattr(module, name, None)
        if callable(found) and getattr(found, "__module__", None) == info.name:
            return found
    raise LookupError(f"no module of lab {lab_id} defines {name}")


# (lab, knob values on top of its smoke settings, [(probe, arguments after the result)]):
# the calls the pages make when someone types an input or moves a slider.
PROBES = [
    ("attention", {}, [("decode_typed", ("",)), ("checkpoint_view", ()),
                       ("alignment_theory", (1.0,)), ("capacity_table", (4,))]),
    ("pointer", {}, [("decode_typed", ("5 3 9 1",))]),
    ("vrae", {}, [("path_between", (0, 1)), ("reconstruction", (0,)),
                  ("prior_samples", (2, 1.0)), ("attribute_walk", (0, 1, 0, [0.0, 1.0]))]),
    ("dna", {}, [("score_typed_dna", ("ACGT" * 30,))]),
]


@pytest.mark.parametrize(("lab_id", "overrides", "calls"), PROBES, ids=[p[0] for p in PROBES])
def test_probes_run_with_the_default_device_set_to_meta(lab_id, overrides, calls):
    lab = all_labs()[lab_id]
    result = lab.run(lab.make_config({**lab.smoke, **overrides}))
    functions = [(probe(lab_id, name), args) for name, args in calls]
    torch.set_default_device("meta")
    try:
        answers = [function(result, *args) for function, args in functions]
    finally:
        torch.set_default_device(None)
    assert all(answer is not None for answer in answers)
