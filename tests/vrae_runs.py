"""Tiny VRAE runs shared by the lab's test modules (trained once per module that uses them)."""
import pytest

from core.labs import get_lab

LAB = get_lab("vrae")
TINY = {"steps": 5, "eval_every": 5, "hidden": 16, "batch": 16}


@pytest.fixture(scope="module")
def tiny_run():
    return LAB.run(LAB.make_config(TINY))


@pytest.fixture(scope="module")
def tiny_words():
    return LAB.run(LAB.make_config({**TINY, "dataset": "words", "conditional": True}))
