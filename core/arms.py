"""The skeleton every lab's run shares: train several models ("arms") one after another,
then put what they measured into a Result.

A lab compares things: an LSTM beside a tanh RNN, attention beside none, one truncation
window after another. Each lab says how to train one arm (`train_one`); `train_arms` does the
rest the same way everywhere — the progress bar split between the arms, each arm's entries
tagged with its name for the live chart, rivals given the steps the headline model actually
took (so a comparison is fair when it stops early), the rivals skipped once a run is stopped
or diverged, and the last figure data each arm sent kept for the page's headline figure.
`finish` then fills what every Result carries (config, status, steps, wall time, histories,
final loss, messages, trained models, what each model trained with) so a lab only names its
own measurements.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from core.arm_scheduler import arm_workers, headline_done_entry, train_side_by_side
from core.contract import OnStep, Result, ShouldStop, config_dict
from core.train import TrainLog, phase_reporter

ENDED_EARLY = ("stopped", "diverged")


@dataclass(frozen=True)
class Arm:
    """One model a run trains. `name` labels its live curve and its entry in comparisons;
    `spec` is whatever the lab needs to build it (a cell name, a decoder, a window K)."""
    name: str
    spec: Any = None
    steps: int | None = None  # None: the run's steps (rivals: the headline arm's steps taken)
    weight: float = 1.0  # its share of the progress bar, relative to the others
    # Set by train_arms on the first arm: the model the run is about, the one the lab's
    # success criterion (and, in the stack lab, its initialisation tries) applies to.
    headline: bool = False


@dataclass
class Trained:
    """What training one arm gave: the model (or None), its training log, the lab's own
    measurements of it, and the last figure data it sent while training."""
    arm: Arm
    model: Any
    log: TrainLog
    summary: dict = field(default_factory=dict)
    live: dict | None = None
    extra: dict = field(default_factory=dict)  # live objects the lab keeps (not serialised)

    @property
    def name(self) -> str:
        return self.arm.name


TrainOne = Callable[[Arm, int, "OnStep | None", "ShouldStop | None"], Trained]


def train_arms(arms: list[Arm], train_one: TrainOne, *, steps: int,
               on_step: OnStep | None = None, should_stop: ShouldStop | None = None,
               rivals_match_main: bool = True, beside: bool = False) -> list[Trained]:
    """Train `arms` in order with `train_one(arm, steps, report, should_stop)`.

    The first arm is the headline model and trains up to `steps` (it may stop early at the
    lab's success criterion). With `rivals_match_main` every later arm gets exactly the steps
    the first one took; otherwise each gets `steps` (or its own `Arm.steps`). Once an arm is
    stopped, or `should_stop()` holds, the arms not yet trained are skipped; so are the rivals
    of a headline arm that diverged (they would have nothing to match), while independent arms
    (`rivals_match_main=False`) go on past one that diverged.

    When the server has free slots (`core.arm_scheduler.arm_workers`), the arms train side by
    side, each in its own thread, with the same result: rivals start when the headline model
    has finished, or, with `beside`, at once, held to the headline's steps (only for a
    `train_one` that makes one `core.train.train` call with the steps it is given, and rivals
    that read nothing the headline leaves behind).
    """
    arms = [replace(arm, headline=i == 0) for i, arm in enumerate(arms)]
    if len(arms) > 1 and arm_workers() > 1:
        def launch(i: int, arm_steps: int, report, stop) -> Trained:
            return _train_arm(train_one, arms[i], arm_steps, report, stop)
        return train_side_by_side(arms, launch, steps=steps, workers=arm_workers,
                                  on_step=on_step,
                                  should_stop=should_stop,
                                  rivals_match_main=rivals_match_main, beside=beside)
    total_weight = sum(a.weight for a in arms) or 1.0
    trained: list[Trained] = []
    base = 0.0
    headline_series: dict = {}
    for i, arm in enumerate(arms):
        if i and (any(t.log.status == "stopped" for t in trained)
                  or (rivals_match_main and trained[0].log.status == "diverged")
                  or (should_stop is not None and should_stop())):
            break
        if arm.steps is not None:
            arm_steps = arm.steps
        elif i and rivals_match_main:
            arm_steps = trained[0].log.steps
        else:
            arm_steps = steps
        span = arm.weight / total_weight
        out = _remembering(on_step, headline_series) if i == 0 else on_step
        report = phase_reporter(out, arm.name, arm_steps, base, span)
        trained.append(_train_arm(train_one, arm, arm_steps, report, should_stop))
        base += span
        if i == 0 and on_step is not None and not (should_stop is not None and should_stop()):
            entry = headline_done_entry(arms, trained[0], rivals_match_main,
                                        headline_series.get("series"))
            if entry is not None:
                on_step(entry["headline_done"], {**entry, "progress": base})
    return trained


def _train_arm(train_one: TrainOne, arm: Arm, steps: int, report, should_stop) -> Trained:
    """`train_one`, keeping the last figure data the arm sent when it returns none."""
    captured: dict = {}
    result = train_one(arm, steps, _capturing(report, captured), should_stop)
    if result.live is None and "live" in captured:
        result.live = captured["live"]
    return result


def _remembering(on_step: OnStep | None, seen: dict) -> OnStep | None:
    """Pass entries on, keeping the series the last one went out under."""
    if on_step is None:
        return None

    def forward(step: int, metrics: dict) -> None:
        seen["series"] = metrics.get("series")
        on_step(step, metrics)
    return forward


def _capturing(report: OnStep | None, captured: dict) -> OnStep:
    """Pass entries on, keeping the last figure data ("live") the arm sent."""
    def forward(step: int, metrics: dict) -> None:
        if "live" in metrics:
            captured["live"] = metrics["live"]
        if report is not None:
            report(step, metrics)
    return forward


def final_loss(history: list[dict]) -> float | None:
    """The last training loss logged (evaluations carry none)."""
    return next((h["loss"] for h in reversed(history) if h.get("loss") is not None), None)


def ended_early(trained: list[Trained]) -> bool:
    return any(t.log.status in ENDED_EARLY for t in trained)


def finish(config, started: float, trained: list[Trained], *, metrics: dict,
           success: bool, arrays: dict | None = None, notes: tuple | list = (),
           status: str | None = None, steps: int | None = None,
           artifacts: dict | None = None, config_extra: dict | None = None) -> Result:
    """The Result of a run that trained `trained` (headline arm first), for the lab whose
    package defines `config`'s class (core/labs/<id>/__init__.py), so no lab names itself.

    Fills the config, status and steps (the headline arm's unless given), wall time since
    `started`, the headline history and every arm's history by name, the final loss and
    seconds to success when the lab did not set them, the figure data each arm last sent
    (`arrays["live"]`, the page's headline figure), what each arm trained with
    (`arrays["trained_with"]`, see `trained_with`), the training messages followed by the
    lab's `notes`, and `artifacts["models"]`: every trained model by arm name.
    """
    metrics = dict(metrics)
    arrays = dict(arrays or {})
    main_log = trained[0].log if trained else TrainLog(status="stopped", steps=0)
    metrics.setdefault("final_loss", final_loss(main_log.history))
    metrics.setdefault("seconds_to_success", main_log.seconds_to_success)
    arrays.setdefault("histories", {t.name: t.log.history for t in trained})
    live = {t.name: t.live for t in trained if t.live is not None}
    if live:
        arrays.setdefault("live", live)
    arrays.setdefault("trained_with", trained_with(config, trained))
    messages = []
    for t in trained:
        if t.log.message and t.log.message not in messages:
            messages.append(t.log.message if t is trained[0] else f"{t.name}: {t.log.message}")
    messages += [n for n in notes if n]
    models = {t.name: t.model for t in trained if t.model is not None}
    return Result(lab=lab_of(config), config={**config_dict(config), **(config_extra or {})},
                  metrics=metrics, success=bool(success),
                  status=status or main_log.status,
                  steps=main_log.steps if steps is None else steps,
                  wall_s=time.perf_counter() - started, history=main_log.history,
                  arrays=arrays, message=" ".join(messages),
                  artifacts={"models": models, **(artifacts or {})})


# The knobs that size a model's training, in the order a line about it reads: what a student
# needs to compare two models fairly (the Config field names the labs share).
SIZE_KNOBS = ("batch", "seq_len", "length", "window", "stream_len", "train_len", "min_len",
              "max_len", "context", "horizon", "hidden", "filters", "lr")
# Knobs that say how a run is watched or laid out, not what a model trains with.
NOT_TRAINING = ("steps", "seed", "eval_every")


def trained_with(config, trained: list[Trained]) -> list[dict]:
    """What each arm trained with, headline first, as plain JSON-ready values: its name, the
    optimiser steps it took, how training ended ("succeeded" is the lab's early stop at its
    criterion), the step its criterion first held (None if never), its parameter count
    (None when the arm holds no model of its own), its training seconds, `knobs` — the size
    knobs the lab has and every other knob the arm's spec sets differently from the run's
    Config — and `run_values`: the run's value of each knob in `knobs` that differs for this
    arm (a rival trained at a matched width, a study's lever), so the page can say so."""
    base = config_dict(config)
    records = []
    for t in trained:
        own = _arm_knobs(t.arm.spec, config, base)
        if t.log.lr is not None and "lr" in base:
            own["lr"] = t.log.lr  # what the optimiser used, not what the knob said
        differs = {k: base[k] for k, v in own.items()
                   if k in base and v != base[k] and _is_training_knob(k)
                   and _applies(config, k, own)
                   and (k in SIZE_KNOBS or not _named(v, t.name))}
        knobs = {k: own[k] for k in SIZE_KNOBS if k in own}
        knobs.update({k: own[k] for k in differs if k not in knobs})
        records.append({"name": t.name, "headline": t.arm.headline, "steps": t.log.steps,
                        "status": t.log.status, "criterion_step": t.log.steps_to_success,
                        "parameters": _parameters(t), "seconds": round(t.log.wall_s, 3),
                        "knobs": knobs, "run_values": differs})
    return records


def _arm_knobs(spec, config, base: dict) -> dict:
    """The knob values an arm trained with: the Config its spec carries (the spec itself, or
    its `config` field), else the run's; then any field of the spec named like a knob (a
    hidden size that overrides config.hidden), or a dict field's entries named like knobs (a
    model's filters and hidden units)."""
    if isinstance(spec, type(config)):
        own = config_dict(spec)
    elif isinstance(getattr(spec, "config", None), type(config)):
        own = config_dict(spec.config)
    else:
        own = dict(base)
    if dataclasses.is_dataclass(spec) and not isinstance(spec, type(config)):
        for f in dataclasses.fields(spec):
            value = getattr(spec, f.name)
            entries = value.items() if isinstance(value, dict) else [(f.name, value)]
            own.update({k: v for k, v in entries
                        if k in base and isinstance(v, (bool, int, float, str))})
    return own


def _named(value, name: str) -> bool:
    """Whether an arm's name already says this value of a knob ("uni", "L=1", "p=0.25")."""
    said = {str(value)} | ({format(value, "g")} if isinstance(value, float) else set())
    return any(text in name for text in said)


def _applies(config, name: str, values: dict) -> bool:
    """Whether a knob acts on this arm: its `visible_if` holds for the arm's values (a set
    loss means nothing on a sequence task, where the page does not draw it)."""
    field_ = next((f for f in dataclasses.fields(config) if f.name == name), None)
    condition = field_.metadata.get("visible_if", {}) if field_ is not None else {}
    return all(values.get(other) in allowed for other, allowed in condition.items())


def _is_training_knob(name: str) -> bool:
    return name not in NOT_TRAINING and not name.startswith("compare")


def _parameters(t: Trained) -> int | None:
    """The model's parameter count (every parameter, as the figures' legends count it), else
    the count its trainer optimised; None for an arm that is a whole run of its own."""
    parameters = getattr(t.model, "parameters", None)
    if callable(parameters):
        try:
            return sum(p.numel() for p in parameters())
        except TypeError:  # a model whose `parameters` is not nn.Module's
            pass
    return t.log.parameters or None


def lab_of(config) -> str:
    """The id of the lab a Config belongs to: the package core/labs/<id>/ defines it."""
    parts = type(config).__module__.split(".")
    if parts[:2] != ["core", "labs"] or len(parts) < 3:
        raise ValueError(f"{type(config).__name__} is not a lab's Config (it is defined in "
                         f"{type(config).__module__}, not in a package core/labs/<id>/)")
    return parts[2]


def run_status(trained: list[Trained], planned: int, success: bool) -> str:
    """The one rule for how a run ended, from what trained and what was planned: the first
    arm that was stopped or diverged names it; a run whose planned arms did not all train
    was stopped between them (train_arms skips the rest only on a stop); otherwise it
    "succeeded" when the lab's criterion held and "completed" when it did not. A study
    passes success=False: it measures, it has no criterion."""
    ended = next((t.log.status for t in trained if t.log.status in ENDED_EARLY), None)
    if ended:
        return ended
    if len(trained) < planned:
        return "stopped"
    return "succeeded" if success else "completed"
