"""What a sweep is: a grid of knob values crossed with seeds, checked against a lab's Config.

A lab (or the command line) states a sweep as a `SweepSpec`; `plan_sweep` checks every knob
name and value against the lab's Config before anything trains, and returns a `SweepPlan`
whose points are every combination of the varied values times every seed. Seed i is the
same for every combination, so two combinations that differ in one knob see the same data
and the same initial weights (the fair comparison of DESIGN.md, "Device and seeds").
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import reprlib
from dataclasses import dataclass, field

from core.contract import ConfigError, coerce_value, config_dict, validate_value

MAX_SEEDS = 100
MAX_POINTS = 5000  # a shared server should not accept a sweep that trains for days


@dataclass(frozen=True)
class SweepSpec:
    """A curve over a knob with error bars over seeds, as a lab or a user states it.

    vary: knob name -> the values to try, e.g. {"seq_len": (20, 40, 80), "cell": ("rnn", "lstm")}
    seeds: how many seeds per combination (seeds base, base+1, ...; base is the `seed` override
           or the lab's default seed)
    metric: the scalar metric the table shows (every scalar metric is recorded regardless)
    overrides: knob values held fixed for every point
    """
    vary: dict
    seeds: int = 3
    metric: str = "accuracy"
    overrides: dict = field(default_factory=dict)
    name: str = ""  # how a lab's menu of sweeps names it, e.g. "accuracy vs T"


@dataclass(frozen=True)
class Point:
    combo: dict  # knob -> value for this point (the varied knobs only)
    seed: int

    @property
    def key(self) -> str:
        return point_key(self.combo, self.seed)


def point_key(combo: dict, seed: int) -> str:
    """A stable identity for a point, the same in memory, in a saved file and after a resume."""
    return json.dumps({"combo": combo, "seed": seed}, sort_keys=True)


@dataclass(frozen=True)
class SweepPlan:
    """A checked sweep: values coerced to the knobs' types, seeds spelled out."""
    lab: str
    vary: tuple  # ((knob, (value, ...)), ...) in the order the table groups them
    seeds: tuple
    overrides: dict
    metric: str
    name: str = ""

    @property
    def knobs(self) -> list[str]:
        return [name for name, _ in self.vary]

    def combos(self) -> list[dict]:
        names = self.knobs
        return [dict(zip(names, values))
                for values in itertools.product(*(values for _, values in self.vary))]

    def points(self) -> list[Point]:
        """Seed-major order: every combination at the first seed finishes before the second
        seed starts, so a stopped sweep already has a whole curve to show."""
        return [Point(combo, seed) for seed in self.seeds for combo in self.combos()]

    @property
    def total(self) -> int:
        return len(self.seeds) * len(self.combos())

    def config_overrides(self, point: Point) -> dict:
        """Everything the lab's make_config gets for this point except the seed."""
        return {**self.overrides, **point.combo}

    def identity(self) -> dict:
        """What must match for saved points to belong to this sweep (the metric does not:
        every scalar metric is saved, so a resume may tabulate another one)."""
        return {"lab": self.lab, "vary": [[k, list(v)] for k, v in self.vary],
                "seeds": list(self.seeds), "overrides": dict(sorted(self.overrides.items()))}


def _field(lab, name: str, role: str) -> dataclasses.Field:
    fields = {f.name: f for f in dataclasses.fields(lab.Config)}
    if name not in fields:
        known = ", ".join(sorted(fields))
        raise ConfigError(f"{role}: unknown knob {reprlib.repr(name)}; {lab.id} accepts: {known}")
    return fields[name]


def _checked(f: dataclasses.Field, raw, role: str):
    try:
        return validate_value(f, coerce_value(f, raw))
    except ConfigError as exc:
        raise ConfigError(f"{role} {exc}") from None


def plan_sweep(lab, spec: SweepSpec) -> SweepPlan:
    """Check a spec against a lab and spell out its grid; ConfigError names the first problem."""
    if isinstance(spec.seeds, bool) or not isinstance(spec.seeds, int) \
            or not 1 <= spec.seeds <= MAX_SEEDS:
        raise ConfigError(f"--seeds: expected a whole number from 1 to {MAX_SEEDS}, "
                          f"got {reprlib.repr(spec.seeds)}")
    if not isinstance(spec.metric, str) or not spec.metric.strip():
        raise ConfigError("--metric: name the scalar metric to tabulate, e.g. accuracy")
    if not spec.vary:
        raise ConfigError("--vary: name at least one knob and its values, e.g. seq_len=20,40")
    overrides = {}
    for name, raw in spec.overrides.items():
        overrides[name] = _checked(_field(lab, name, "--set"), raw, "--set")
    vary = []
    for name, raw_values in spec.vary.items():
        f = _field(lab, name, "--vary")
        if name == "seed":
            raise ConfigError("--vary: seeds are not a knob to vary; use --seeds N")
        if name in overrides:
            raise ConfigError(f"--vary: {name} is also fixed by --set; choose one")
        if isinstance(raw_values, (str, bytes)) or not hasattr(raw_values, "__iter__"):
            raise ConfigError(f"--vary: {name} needs a list of values, got "
                              f"{reprlib.repr(raw_values)}")
        values = tuple(_checked(f, raw, "--vary") for raw in raw_values)
        if not values:
            raise ConfigError(f"--vary: {name} has no values")
        if len(set(values)) != len(values):
            raise ConfigError(f"--vary: {name} lists a value twice: "
                              f"{', '.join(map(str, values))}")
        vary.append((name, values))
    base = overrides.pop("seed", None)
    if base is None:
        base = int(config_dict(lab.Config()).get("seed", 0))
    seed_field = _field(lab, "seed", "--seeds")
    seeds = tuple(base + i for i in range(spec.seeds))
    _checked(seed_field, seeds[-1], "--seeds")
    plan = SweepPlan(lab=lab.id, vary=tuple(vary), seeds=seeds, overrides=overrides,
                     metric=spec.metric.strip(), name=spec.name)
    if plan.total > MAX_POINTS:
        raise ConfigError(f"the grid has {plan.total} points; this server runs at most "
                          f"{MAX_POINTS} per sweep")
    for combo in plan.combos():  # every point's whole Config, before anything trains
        lab.make_config({**plan.overrides, **combo, "seed": seeds[0]})
    return plan


def parse_vary(items: list[str]) -> dict:
    """`["seq_len=20,40", "cell=rnn,lstm"]` -> {"seq_len": ("20", "40"), "cell": (...)}."""
    vary = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--vary expects knob=v1,v2,..., got {reprlib.repr(item)}")
        name, values = item.split("=", 1)
        name = name.strip()
        if name in vary:
            raise ConfigError(f"--vary: {name} is given twice; list all its values once")
        parts = [v.strip() for v in values.split(",")]
        if not any(parts) or "" in parts:
            raise ConfigError(f"--vary: {name} has an empty value in {reprlib.repr(values)}")
        vary[name] = tuple(parts)
    return vary


def parse_sets(items: list[str]) -> dict:
    """`["steps=50", "cell=rnn"]` -> {"steps": "50", "cell": "rnn"} (checked by plan_sweep)."""
    overrides = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set expects knob=value, got {reprlib.repr(item)}")
        name, value = item.split("=", 1)
        overrides[name.strip()] = value.strip()
    return overrides
