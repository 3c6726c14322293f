"""The lab contract: a Config dataclass whose fields carry widget metadata, a Result, a LabSpec.

A lab module in `core/labs/` defines `LAB = LabSpec(...)`. The app renders widgets from the
Config's field metadata, the command line parses `--set key=value` against the same fields,
and both call `LAB.run(config, on_step, should_stop)`.
"""
from __future__ import annotations

import dataclasses
import json
import math
import reprlib
from dataclasses import dataclass, field
from typing import Any, Callable


class ConfigError(ValueError):
    """A knob name or value that the lab's Config does not accept; the message names which."""


def knob(default, label: str, help: str, *, min=None, max=None, step=None, choices=None,
         widget: str | None = None, visible_if: dict | None = None):
    """A Config field with what a widget needs: label, help text and bounds or choices.

    `visible_if={"cell": ("lstm",)}` hides the widget unless another knob has one of those
    values, so the page never shows a control that would silently do nothing.
    """
    meta = {"label": label, "help": help, "min": min, "max": max, "step": step,
            "choices": tuple(choices) if choices is not None else None, "widget": widget,
            "visible_if": visible_if or {}}
    return field(default=default, metadata=meta)


def knobs(config_cls) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(config_cls) if "label" in f.metadata]


def coerce_value(f: dataclasses.Field, raw: Any):
    """Turn a raw value (often a string from the command line or a URL) into the field's type."""
    kind = type(f.default)
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{f.name}: expected true or false, got {reprlib.repr(raw)}")
    if kind is int:
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{f.name}: expected a whole number, "
                              f"got {reprlib.repr(raw)}") from None
        if not math.isfinite(number) or number != int(number):
            raise ConfigError(f"{f.name}: expected a whole number, got {reprlib.repr(raw)}")
        return int(number)
    if kind is float:
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{f.name}: expected a number, got {reprlib.repr(raw)}") from None
        if not math.isfinite(number):
            raise ConfigError(f"{f.name}: expected a finite number, got {reprlib.repr(raw)}")
        return number
    return str(raw)


def validate_value(f: dataclasses.Field, value):
    meta = f.metadata
    if meta.get("choices") is not None and value not in meta["choices"]:
        allowed = ", ".join(str(c) for c in meta["choices"])
        raise ConfigError(f"{f.name}: {reprlib.repr(value)} is not one of {allowed}")
    if meta.get("min") is not None and value < meta["min"]:
        raise ConfigError(f"{f.name}: {reprlib.repr(value)} is below the minimum {meta['min']}")
    if meta.get("max") is not None and value > meta["max"]:
        raise ConfigError(f"{f.name}: {reprlib.repr(value)} is above the maximum {meta['max']}")
    if not on_step_grid(f, value):
        raise ConfigError(f"{f.name}: {reprlib.repr(value)} is not a multiple of "
                          f"{meta['step']} from {meta['min']}")
    return value


def on_step_grid(f: dataclasses.Field, value) -> bool:
    """A slider only offers min + k·step; a link or the command line must not reach values
    between (a hidden size of 5 where the model needs an even one)."""
    meta = f.metadata
    step, low = meta.get("step"), meta.get("min")
    if step is None or low is None or isinstance(value, bool) or meta.get("widget") == "log":
        return True
    k = (value - low) / step
    return abs(k - round(k)) <= 1e-6


def make_config(config_cls, overrides: dict[str, Any] | None = None):
    """Build a Config from defaults plus overrides, checking every name, type, bound and step,
    then the knobs against each other: a Config may define `check(self)` that raises
    ConfigError for a combination no single bound can express (shortest input longer than
    the longest), so the page refuses it before Train and the command line exits 2."""
    by_name = {f.name: f for f in dataclasses.fields(config_cls)}
    values = {}
    for name, raw in (overrides or {}).items():
        if name not in by_name:
            raise ConfigError(f"unknown knob {reprlib.repr(name)}; this lab accepts: "
                              f"{_names_within(sorted(by_name), KNOWN_NAMES_CHARS)}")
        values[name] = validate_value(by_name[name], coerce_value(by_name[name], raw))
    config = config_cls(**values)
    check = getattr(config, "check", None)
    if check is not None:
        check()
    return config


KNOWN_NAMES_CHARS = 240  # a message stays a line or two however many knobs a lab has


def _names_within(names: list[str], limit: int) -> str:
    """The names joined by commas, as many as fit in `limit` characters, then how many more."""
    shown: list[str] = []
    for name in names:
        if len(", ".join(shown + [name])) > limit:
            return ", ".join(shown) + f" and {len(names) - len(shown)} more"
        shown.append(name)
    return ", ".join(shown)


def config_dict(config) -> dict:
    return dataclasses.asdict(config)


def _plain(value):
    """Make arrays, tensors and numpy numbers JSON-friendly; non-finite floats become None."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass
class Result:
    """What a run produced. Everything but `artifacts` (live objects such as a trained model,
    used by the page for interactive probes) serialises to JSON."""
    lab: str
    config: dict
    metrics: dict
    success: bool
    status: str  # "succeeded" | "completed" | "stopped" | "diverged"
    steps: int
    wall_s: float
    history: list = field(default_factory=list)
    arrays: dict = field(default_factory=dict)
    message: str = ""
    artifacts: dict = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict:
        data = {k: getattr(self, k) for k in
                ("lab", "config", "metrics", "success", "status", "steps", "wall_s",
                 "history", "arrays", "message")}
        return _plain(data)

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict) -> "Result":
        names = {f.name for f in dataclasses.fields(cls)} - {"artifacts"}
        return cls(**{k: v for k, v in data.items() if k in names})


OnStep = Callable[[int, dict], None]
"""Called as training goes with the step and a metrics dict. Reserved keys: "series" (which
model of several), "progress" (the run's overall fraction done), "eval" (a measurement, not
a training step), "live" (figure data for the page's headline figure, kept out of history)."""
ShouldStop = Callable[[], bool]
Job = Callable[[OnStep, ShouldStop], "Result"]


@dataclass(frozen=True)
class Preset:
    """A named step of a lab's story: knob values (the rest stay at their defaults), what to
    notice, and which knobs present mode keeps on screen."""
    name: str
    note: str
    overrides: dict = field(default_factory=dict)
    show: tuple = ()
    sweep: str = ""  # the name of one of the lab's sweeps this step of the story runs


@dataclass(frozen=True)
class Study:
    """An extra job a lab declares beside its main run (a sweep over one knob, a study of
    decoding): the page shows it as a panel with its own button, the command line runs it
    with `python -m core study LAB NAME`, and its length is computed here, not guessed."""
    name: str  # short id for the command line and the panel key
    label: str  # the button
    about: str  # one sentence: what it trains, shown beside the button
    run: Callable[..., Result]  # run(config, on_step=None, should_stop=None) -> Result
    total_steps: Callable[[Any], int]  # optimiser steps it will take at most, for progress


@dataclass(frozen=True)
class LabSpec:
    """A lab as the app, the command line and the benchmark see it."""
    id: str
    title: str
    question: str
    what_you_see: str
    Config: type
    run: Callable[..., Result]
    icon: str = ":material/science:"
    order: int = 100  # position on the home page and in the navigation
    # labs of one group sit together under its name on the home page and in the navigation
    group: str = ""
    # Knob values that make a run take seconds: used by the page tests that click Train.
    smoke: dict = field(default_factory=dict)
    presets: tuple = ()  # Preset, in the order they tell the story
    # The 3-6 knobs the presets turn: drawn beside Train; the rest fold under "More settings".
    primary: tuple = ()
    studies: tuple = ()  # Study, in the order the page shows them
    sweeps: tuple = ()  # core.sweep.SweepSpec with names: the curves a lecture shows
    # (metric, what it says): how clear the default demo's headline picture is when it ends
    # (e.g. alignment entropy / ln T_x), reported by `python -m core bench`.
    picture: tuple = ()
    # verdict(result) -> one sentence naming the success criterion and what the run measured
    # against it, shown where the run ends (None: the page says only how the run ended).
    verdict: Callable[["Result"], str] | None = None

    def preset(self, name: str) -> "Preset | None":
        return next((p for p in self.presets if p.name == name), None)

    def make_config(self, overrides: dict | None = None):
        return make_config(self.Config, overrides)

    def study(self, name: str) -> Study:
        found = next((s for s in self.studies if s.name == name), None)
        if found is None:
            known = ", ".join(s.name for s in self.studies) or "none"
            raise ConfigError(f"{self.id} has no study {name!r}; its studies: {known}")
        return found

    def total_steps(self, config) -> int:
        return int(getattr(config, "steps", 0))
