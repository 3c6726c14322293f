"""Training one model of the stack lab: its data, its initialisations, its measurements.

`train_model` is the lab's `train_one` for core.arms.train_arms. With several
initialisations ("tries") each trains for the first PROBE_STEPS steps on the same batches as
a nested phase of the arm's progress ("stack · init 2"); the best on validation strings goes
on, in the same phase, so its loss curve continues. Attempt 0 is built from the run's seed and
attempt k from stream_seed(seed, "init") + k, so one try is exactly the plain run.

Every draw comes from the run's named streams: batches from "train", the strings early
stopping reads from "validation", the reported numbers from "test", the headline figure's
string from "probe".
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import torch

from core.analysis.stack_trace import (Scores, fraction_by_length, live_trace, score_strings,
                                       sequence_loss, verdicts)
from core.measure import stop_point, stoppable
from core.arms import Arm, Trained
from core.device import build_seeded, stream, stream_seed
from core.models.stack_rnn import build_model
from core.tasks.dyck import DyckBatch, alphabet, encode, run_stack, sample_strings, state_names
from core.train import Trainer, TrainLog, phase_reporter

EARLY_STOP_ACCURACY = 0.995  # on validation strings of the training lengths, twice in a row
# The default demo goes on past that until its headline picture is clear: the stack model
# gives the exact stack's action at least this probability, on average, on the probe string.
PICTURE_CLEAR = 0.95
VALIDATION_STRINGS = 256  # per set: training lengths, longer lengths
TEST_PER_LENGTH = 64  # fresh test strings at every length, training lengths and longer
PROBE_STEPS = 150  # steps each initialisation gets before the best one is kept
PROBE_CANDIDATES = 16  # balanced strings of the longest length the probe string is chosen from


@dataclass
class StackData:
    """The strings every model of a run is trained and measured on."""
    train_lens: list
    long_lens: list
    device: torch.device
    val_in: DyckBatch
    val_long: DyckBatch
    test_in: DyckBatch
    test_long: DyckBatch
    probe: str  # the string the headline figure traces as training goes
    seen: dict = field(default_factory=lambda: {"depth": 0})  # deepest training string so far

    @property
    def capacity(self) -> int:
        return self.long_lens[-1] + 2


def lengths(train_len: int, test_len: int) -> tuple[list[int], list[int]]:
    """Even lengths only (a balanced string has even length): training 2..train_len, the
    longer test strings train_len+2..test_len."""
    return list(range(2, train_len + 1, 2)), list(range(train_len + 2, test_len + 1, 2))


def make_data(config, device) -> StackData:
    language = config.task
    train_lens, long_lens = lengths(config.train_len, config.test_len)
    validation, test = stream(config.seed, "validation"), stream(config.seed, "test")

    def per_length(lens, gen):
        return encode([s for n in lens for s in sample_strings(TEST_PER_LENGTH, [n], language,
                                                                gen)], language, device)
    return StackData(
        train_lens, long_lens, device,
        val_in=encode(sample_strings(VALIDATION_STRINGS, train_lens, language, validation),
                      language, device),
        val_long=encode(sample_strings(VALIDATION_STRINGS, long_lens, language, validation),
                        language, device),
        test_in=per_length(train_lens, test), test_long=per_length(long_lens, test),
        probe=probe_string(language, long_lens[-1], config.seed))


def probe_string(language: str, length: int, seed: int) -> str:
    """The deepest of a few balanced strings of the longest test length (first on ties): the
    headline shows the model acting on nesting it has not trained on."""
    candidates = sample_strings(PROBE_CANDIDATES, [length], language,
                                stream(seed, "probe"), negative_fraction=0.0)
    depth = [max(run_stack(s, language).depth) for s in candidates]
    return candidates[depth.index(max(depth))]


class Criterion:
    """The early stop: validation accuracy on training lengths at least EARLY_STOP_ACCURACY
    at two measurements in a row (the first time the strings are all right the actions are
    often still soft, and softness costs accuracy on longer strings); for the stack model,
    also a clear picture. `reached_after` is when the accuracy part first held."""

    def __init__(self, started: float, needs_picture: bool) -> None:
        self.started, self.needs_picture = started, needs_picture
        self.streak, self.reached_after = 0, None

    def __call__(self, metrics: dict) -> bool:
        self.streak = self.streak + 1 if metrics["accuracy"] >= EARLY_STOP_ACCURACY else 0
        if self.streak < 2:
            return False
        if self.reached_after is None:
            self.reached_after = time.perf_counter() - self.started
        agreement = metrics.get("action_agreement")
        return not self.needs_picture or (agreement is not None and agreement >= PICTURE_CLEAR)


def _new_model(kind: str, config, data: StackData, attempt: int):
    seed = config.seed if attempt == 0 else stream_seed(config.seed, "init") + attempt
    classes = 2 if config.form == "recognition" else len(state_names(config.task))
    with torch.device(data.device):
        return build_seeded(seed, lambda: build_model(
            kind, len(alphabet(config.task)), config.hidden, classes, width=config.stack_width,
            capacity=data.capacity, noop_bias=config.noop_bias))


def _validation(model, kind: str, config, data: StackData, step: int, order: list) -> dict:
    """Accuracy on the validation strings, and the headline figure's data: the probe
    string's trace (stack model) or accuracy by length (the others)."""
    with torch.no_grad():
        right = {name: verdicts(model(b.x), b, config.form)[0]
                 for name, b in (("in", data.val_in), ("long", data.val_long))}
    order[0] += 1  # which payload is newest, across a model's initialisations
    live = {"order": order[0], "model": kind, "step": step}
    metrics = {"accuracy": float(right["in"].float().mean()),
               "accuracy_long": float(right["long"].float().mean())}
    if kind == "stack":
        live.update(live_trace(model, data.probe, config.task))
        metrics["action_agreement"] = live["agreement"]
    else:
        lens = data.train_lens + data.long_lens
        both = torch.cat([right["in"], right["long"]]).cpu()
        sizes = torch.cat([data.val_in.lengths, data.val_long.lengths]).cpu()
        live.update(lengths=lens, accuracy=fraction_by_length(both, sizes, lens),
                    train_len=data.train_lens[-1], measured_on="validation")
    return {**metrics, "live": live}


_SEEN_LOCK = threading.Lock()


def _fit(trainer: Trainer, model, kind, config, data: StackData, gen, steps: int, report,
         should_stop, criterion: Criterion | None, order: list) -> TrainLog:
    """Train for `steps` more steps, continuing where `trainer` left off (its optimiser state
    and step count carry over)."""
    language, form = config.task, config.form

    def step_fn(step: int):
        batch = encode(sample_strings(config.batch, data.train_lens, language, gen), language,
                       data.device)
        depth = int(batch.depth.max())
        with _SEEN_LOCK:  # rivals training beside the headline update it too
            data.seen["depth"] = max(data.seen["depth"], depth)
        return sequence_loss(model(batch.x), batch, form)

    return trainer.train(step_fn, steps=steps,
                         evaluate=lambda step: _validation(model, kind, config, data, step,
                                                           order),
                         eval_every=config.eval_every, is_success=criterion, on_step=report,
                         should_stop=should_stop)


def _continued(report, offset: int, phase: str, steps: int, base: float, span: float):
    """The reporter of a phase that continues after `offset` steps: its progress counts the
    phase's own steps, the entries keep the run's step numbers."""
    if report is None:
        return None
    inner = phase_reporter(lambda local, metrics: report(local + offset, metrics), phase,
                           steps, base=base, span=span)
    return lambda step, metrics: inner(step - offset, metrics)


@stoppable
def train_model(arm: Arm, steps: int, report, should_stop, *, config,
                data: StackData, shared: dict) -> Trained:
    """Train one model (arm.spec is its kind), keep the best of its initialisations, then
    score it on the test strings. Rivals get as many initialisations as the headline model
    tried (`shared["tried"]`)."""
    kind = arm.spec
    tries = config.tries if arm.headline else shared.get("tried", config.tries)
    probe = min(PROBE_STEPS, steps) if tries > 1 else steps
    total = tries * probe + (steps - probe)
    started = time.perf_counter()
    order = [0]
    best, tried = None, 0
    for attempt in range(tries):
        model = _new_model(kind, config, data, attempt)
        trainer = Trainer(model.parameters(), lr=config.lr, clip=1.0)
        criterion = Criterion(started, needs_picture=kind == "stack") if arm.headline else None
        gen = stream(config.seed, "train")  # every attempt sees the same batches
        phase = f"init {attempt + 1}"
        attempt_report = report if tries == 1 else phase_reporter(
            report, phase, probe, base=attempt * probe / total, span=probe / total)
        if kind == "stack" and attempt_report is not None:
            # the untrained model's actions first: the class sees where they start from
            order[0] += 1
            attempt_report(0, {"live": {"order": order[0], "model": kind, "step": 0,
                                        **live_trace(model, data.probe, config.task)}})
        log = _fit(trainer, model, kind, config, data, gen, probe, attempt_report,
                   should_stop, criterion, order)
        tried += 1
        score = next((h["accuracy"] for h in reversed(log.history) if "accuracy" in h), 0.0)
        if best is None or score > best[0]:
            best = (score, model, trainer, gen, log, criterion, phase)
        if log.status != "completed":  # succeeded early, stopped or diverged
            break
    _, model, trainer, gen, log, criterion, phase = best
    if log.status == "completed" and steps > probe:
        # the winner trains on from its probe with the same optimiser (Adam's moments kept)
        base = tries * probe / total  # only with tries > 1: one try trains all its steps above
        rest_report = _continued(report, probe, phase, steps - probe, base, 1 - base)
        log = _fit(trainer, model, kind, config, data, gen, steps - probe, rest_report,
                   should_stop, criterion, order)
    if criterion is not None and criterion.reached_after is not None:
        # Time to the criterion counts every initialisation tried; a run that reached it and
        # went on for a clearer picture has still succeeded.
        log.seconds_to_success = criterion.reached_after
        if log.status == "completed":
            log.status = "succeeded"
    else:
        log.seconds_to_success = None
    if arm.headline:
        shared["tried"] = tried
    stop_point(should_stop, "test strings scored and the final trace", log, model)
    model.eval()
    return _measured(arm, model, log, tried, config, data, should_stop)


def _measured(arm: Arm, model, log: TrainLog, tried: int, config, data: StackData,
              should_stop) -> Trained:
    """Score the trained model on the test strings (skipped once told to stop: a stack
    model takes seconds over them) and draw its final headline data."""
    scores: dict[str, Scores | None] = {}
    for name, batch in (("in", data.test_in), ("long", data.test_long)):
        scores[name] = score_strings(model, batch, config.form, config.task, should_stop)
    if arm.spec == "stack":
        live = {"model": "stack", "step": log.steps,
                **live_trace(model, data.probe, config.task)}
    elif scores["in"] is not None and scores["long"] is not None:
        live = {"model": arm.spec, "step": log.steps,
                "lengths": data.train_lens + data.long_lens,
                "accuracy": scored_by_length(scores, data),
                "train_len": data.train_lens[-1], "measured_on": "test"}
    else:
        live = None  # keep the last validation measurement the arm sent
    return Trained(arm, model, log, summary={"tried": tried}, live=live, extra=scores)


def scored_by_length(scores: dict, data: StackData) -> list:
    """The fraction of test strings fully right at every length, training lengths then
    longer ones (None throughout when the scoring was stopped)."""
    lens = data.train_lens + data.long_lens
    if scores.get("in") is None or scores.get("long") is None:
        return [None] * len(lens)
    right = torch.cat([scores["in"].correct, scores["long"].correct])
    sizes = torch.cat([data.test_in.lengths, data.test_long.lengths]).cpu()
    return fraction_by_length(right, sizes, lens)
