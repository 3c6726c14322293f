"""The lab contract: config parsing and validation, Result serialisation, the registry."""
import json
import math
from dataclasses import dataclass

import pytest

from core.contract import ConfigError, Result, knob, make_config
from core.labs import all_labs, broken_labs


@dataclass
class Toy:
    cell: str = knob("lstm", "Cell", "h", choices=("rnn", "lstm"))
    hidden: int = knob(8, "Hidden", "h", min=2, max=64)
    lr: float = knob(0.01, "LR", "h", min=1e-5, max=1.0)
    flag: bool = knob(False, "Flag", "h")


def test_make_config_coerces_strings():
    c = make_config(Toy, {"cell": "rnn", "hidden": "16", "lr": "3e-3", "flag": "true"})
    assert (c.cell, c.hidden, c.lr, c.flag) == ("rnn", 16, 0.003, True)


@pytest.mark.parametrize("overrides, fragment", [
    ({"nope": 1}, "unknown knob 'nope'"),
    ({"hidden": "1.5"}, "whole number"),
    ({"hidden": "100"}, "above the maximum"),
    ({"hidden": "1"}, "below the minimum"),
    ({"cell": "tcn"}, "not one of"),
    ({"lr": "nan"}, "finite"),
    ({"flag": "maybe"}, "true or false"),
])
def test_make_config_rejects_with_a_named_problem(overrides, fragment):
    with pytest.raises(ConfigError, match=fragment):
        make_config(Toy, overrides)


def test_result_json_round_trip_and_non_finite_values():
    r = Result(lab="x", config={"a": 1}, metrics={"loss": float("nan"), "v": [1.0, math.inf]},
               success=False, status="diverged", steps=3, wall_s=0.1,
               artifacts={"model": object()})
    data = json.loads(r.to_json())
    assert data["metrics"] == {"loss": None, "v": [1.0, None]}
    assert "artifacts" not in data
    assert Result.from_dict(data).status == "diverged"


def test_registry_has_every_lab_and_none_broken():
    assert broken_labs() == {}
    labs = all_labs()
    assert "gradients" in labs
    for lab in labs.values():
        config = lab.make_config({})
        assert hasattr(config, "steps") and hasattr(config, "seed"), lab.id
        assert lab.question.endswith("?"), lab.id
