"""Stack-augmented RNNs: what can a network with a stack do that a plain RNN cannot?

Trains a recurrent network with a differentiable stack (core.models.stack_rnn) and, on the
same data stream and seed, an LSTM and a tanh RNN of the same hidden size, on a bracket
language (core.tasks.dyck) with strings up to `train_len` characters. Every model is then
tested on longer strings, up to `test_len`; the run also counts how many of those nest deeper
than any string seen in training and scores the models on that subset. The stack model's
push / pop / no-op choices are traced on a probe string as it trains (the headline figure)
and on example strings after, against the exact pushdown automaton.

The default task is the per-step form of Dyck-2: after every character predict the state of
the exact automaton (empty, which opener is on top, or broken). That is a learning signal at
every character, so the stack model learns in a few hundred steps.
"""
from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import torch

from core.analysis.stack_trace import FORMS, Scores, trace_string
from core.labs.stack.verdict import SUCCESS_ACCURACY, SUCCESS_LONG, verdict
from core.measure import stopped_result
from core.arm_scheduler import arms_at_once
from core.arms import Arm, finish, train_arms
from core.contract import ConfigError, LabSpec, Preset, Result, knob
from core.device import pick_device, stream
from core.labs.stack.training import (PROBE_STEPS, StackData, lengths, make_data,
                                      scored_by_length, train_model)
from core.models.stack_rnn import MODELS
from core.sweep_spec import SweepSpec
from core.tasks.dyck import (LANGUAGES, make_negative, negative_kinds, random_balanced,
                             sample_strings, state_names)

# Below this height-depth correlation the stack model has left its stack idle and
# remembered in its hidden state instead (the page says so and suggests more tries).
STUCK_CORRELATION = 0.8
# How often that happens: the stack model alone over several seeds, with one initialisation
# and with three (the metric is 1 for a stuck run, so its mean over seeds is the rate).
STUCK_SWEEP = SweepSpec(name="stuck rate vs initialisations", metric="stack_stuck", seeds=8,
                        vary={"tries": (1, 3)}, overrides={"model": "stack", "compare": False})


@dataclass
class Config:
    task: str = knob("dyck2", "Language", "dyck1: one bracket type `()`. dyck2: two types "
                     "`()[]`, so the model must remember which opener is where. anbn: a^n b^n.",
                     choices=LANGUAGES)
    form: str = knob("per_step", "Task form", "per_step: after every character predict the "
                     "exact stack's state (empty, which opener is on top, or broken). "
                     "recognition: one verdict at the end, balanced or not.", choices=FORMS)
    model: str = knob("stack", "Model", "The model whose numbers are headlined; with "
                      "'Compare models' on, the other two train on the same data too.",
                      choices=MODELS)
    compare: bool = knob(True, "Compare models", "Also train the other two models for the "
                         "same number of steps, same seed and same data.")
    hidden: int = knob(32, "Hidden units", "Size of every model's hidden state.",
                       min=4, max=128, step=4)
    stack_width: int = knob(2, "Stack cell width", "Learned values per stack cell (plus one "
                            "occupancy channel).", min=1, max=8)
    noop_bias: float = knob(-3.0, "Initial no-op bias", "Added to the no-op logit at "
                            "initialisation. Near 0 the stack model can settle on remembering "
                            "short strings in its hidden state and idling the stack.",
                            min=-6.0, max=3.0, step=0.5)
    train_len: int = knob(20, "Longest training string", "Training strings have even "
                          "lengths from 2 to this.", min=4, max=40, step=2)
    test_len: int = knob(50, "Longest test string", "Longer test strings have the even "
                         "lengths above the training range up to this (at least twice the "
                         "training length is a fair test).", min=8, max=100, step=2)
    tries: int = knob(1, "Initialisations tried", "Each model starts from this many random "
                      f"initialisations, each trained {PROBE_STEPS} steps on the same batches; "
                      "the best on held-out strings goes on. More tries make a stuck stack "
                      "model rarer and cost time.", min=1, max=5)
    lr: float = knob(0.02, "Learning rate", "Adam step size.", min=1e-4, max=0.1, widget="log")
    steps: int = knob(800, "Training steps", "Most optimiser steps for the headline model; "
                      "it stops early once 99.5% of held-out training-length strings are right "
                      "at two measurements in a row (the stack model: and its pushes and pops "
                      "are clear).", min=0, max=5000, step=5)
    batch: int = knob(64, "Batch size", "Strings per step (half of them hard negatives).",
                      min=8, max=256, step=8)
    eval_every: int = knob(50, "Measure every", "Steps between accuracy measurements.",
                           min=1, max=500, step=1)
    seed: int = knob(0, "Seed", "Fixes data and initial weights.", min=0, max=2**31 - 1)

    def check(self) -> None:
        if self.test_len <= self.train_len:
            raise ConfigError(f"test_len ({self.test_len}) must be above train_len "
                              f"({self.train_len}): the test is on longer strings")


def example_strings(config: Config) -> list[str]:
    """Strings to trace: a balanced one of the longest test length, one of the longest
    training length, and one hard negative of each kind."""
    gen = stream(config.seed, "examples")
    longest = lengths(config.train_len, config.test_len)[1][-1]
    picks = [sample_strings(1, [longest], config.task, gen, negative_fraction=0.0)[0],
             sample_strings(1, [config.train_len], config.task, gen, negative_fraction=0.0)[0]]
    for kind in negative_kinds(config.task):
        picks.append(make_negative(random_balanced(config.train_len, config.task, gen), kind,
                                   config.task, gen))
    return picks


def trace_typed(result: Result, text: str) -> dict:
    """Trace a typed string through the trained stack model of `result`. Raises ValueError
    naming the problem: too long (checked before anything else), characters outside the
    language, longer than the model's stack, or no stack model in this result."""
    from core.text_limits import STACK_STRING_MAX_CHARS
    if len(text) > STACK_STRING_MAX_CHARS:
        raise ValueError(f"the string has {len(text)} characters; type at most "
                         f"{STACK_STRING_MAX_CHARS}")
    model = (result.artifacts.get("models") or {}).get("stack")
    if model is None:
        raise ValueError("this result has no trained stack model; train with Model = stack "
                         "or Compare models on")
    return trace_string(model, text, result.config["task"], result.config["form"])


def _deeper(data: StackData) -> torch.Tensor:
    """(B,) bool over the longer test strings: nests deeper than any training string did."""
    return data.test_long.depth.max(dim=1).values.cpu() > data.seen["depth"]


def _fraction(scores: Scores | None, kind: str, subset: torch.Tensor | None = None):
    """The fraction of strings right (`kind`: "correct" or "recognised"), over `subset` if
    given; None when the scoring was stopped or the subset is empty."""
    if scores is None:
        return None
    right = getattr(scores, kind) if subset is None else getattr(scores, kind)[subset]
    return float(right.float().mean()) if len(right) else None


def _summary(t, deeper: torch.Tensor) -> dict:
    """One model's test numbers (None where the measurement was stopped)."""
    s_in, s_long = t.extra.get("in"), t.extra.get("long")
    return {"accuracy": _fraction(s_in, "correct"),
            "accuracy_long": _fraction(s_long, "correct"),
            "accuracy_deeper": _fraction(s_long, "correct", deeper),
            "recognition_accuracy": _fraction(s_in, "recognised"),
            "recognition_accuracy_long": _fraction(s_long, "recognised"),
            "initialisations_tried": t.summary["tried"]}


def run(config: Config, on_step=None, should_stop=None) -> Result:
    start = time.perf_counter()
    data = make_data(config, pick_device())
    others = [m for m in MODELS if m != config.model] if config.compare else []
    # One after another, not side by side: a stack RNN step is hundreds of small tensor
    # operations, each a Python call, so two arm threads mostly wait for the interpreter
    # lock (`python -m core bench stack`, idle: 8.1 s one after another, 12.5 s side by side).
    with arms_at_once(1):
        trained = train_arms([Arm(kind, spec=kind) for kind in [config.model] + others],
                             functools.partial(train_model, config=config, data=data,
                                               shared={}),
                             steps=config.steps, on_step=on_step, should_stop=should_stop)
    stopped = stopped_result(config, start, trained, should_stop,
                             [Arm(kind) for kind in [config.model] + others])
    if stopped is not None:
        return stopped
    deeper = _deeper(data)
    comparison = {t.name: _summary(t, deeper) for t in trained}
    main = comparison[config.model]
    lens = data.train_lens + data.long_lens
    metrics = {**main, "depth_correlation": None, "stack_stuck": None, "stack_actions": None,
               "probe_action_agreement": None,
               "train_lengths": [data.train_lens[0], data.train_lens[-1]],
               "test_lengths": [data.long_lens[0], data.long_lens[-1]],
               "test_strings": {"training lengths": len(data.test_in.lengths),
                                "longer": len(data.test_long.lengths),
                                "per length": len(data.test_in.lengths) // len(data.train_lens)},
               "training_depth_max": data.seen["depth"],
               "test_depth_max": int(data.test_long.depth.max()),
               "deeper_strings": int(deeper.sum()), "comparison": comparison}
    arrays = {"lengths": lens, "train_len": data.train_lens[-1], "probe": data.probe,
              "state_names": state_names(config.task) if config.form == "per_step" else
              ["unbalanced", "balanced"],
              "accuracy_by_length": {t.name: scored_by_length(t.extra, data)
                                     for t in trained}}
    stack = next((t for t in trained if t.name == "stack"), None)
    if stack is not None:
        metrics["probe_action_agreement"] = stack.live["agreement"]
        long_scores = stack.extra.get("long")
        if long_scores is not None:
            corr = long_scores.depth_correlation
            corr = corr if corr is not None and math.isfinite(corr) else None
            metrics["depth_correlation"] = corr
            metrics["stack_stuck"] = corr is None or corr < STUCK_CORRELATION
            metrics["stack_actions"] = long_scores.action_means
        # a handful of short strings: quick enough to trace even after a stop
        arrays["traces"] = [trace_string(stack.model, s, config.task, config.form)
                            for s in example_strings(config)]
    ok = (main["accuracy"] or 0) >= SUCCESS_ACCURACY and \
        (main["accuracy_long"] or 0) >= SUCCESS_LONG
    unmeasured = [t.name for t in trained if t.extra.get("long") is None]
    notes = [f"Stopped before the test strings were scored for: {', '.join(unmeasured)}."
             ] if unmeasured else []
    return finish(config, start, trained, metrics=metrics, arrays=arrays,
                  success=ok, notes=notes)


LAB = LabSpec(
    id="stack", title="Stack-Augmented RNNs", order=40, icon=":material/stacks:",
    question="What can a network with a stack do that a plain RNN cannot?",
    what_you_see="A recurrent net with a differentiable stack, an LSTM and a tanh RNN learn "
                 "balanced brackets on short strings; on longer, deeper strings the stack net "
                 "stays right while the others fall. As it trains, its push / pop / no-op "
                 "choices on a long probe string sharpen into the exact stack's; after, the "
                 "same for any string you type, with the stack's contents over time.",
    Config=Config, run=run, verdict=verdict,
    smoke={"steps": 20, "hidden": 8, "eval_every": 10, "train_len": 8, "test_len": 16},
    primary=("task", "model", "compare", "train_len", "tries", "noop_bias"),
    picture=("probe_action_agreement", "mean probability of the exact stack's action on the "
             "probe string"),
    presets=(
        Preset("a stack generalises", "On Dyck-2 the stack RNN pushes on openers and pops on "
               "closers, and stays near-perfect on strings longer than any it trained on; the "
               "LSTM and tanh RNN fall.", {}, show=("task", "model")),
        Preset("an LSTM counts, for a while", "The LSTM alone: fine on training lengths, "
               "falling beyond them.", {"model": "lstm", "compare": False},
               show=("model", "hidden")),
        Preset("one bracket type", "Dyck-1 needs only a counter; the stack model learns it "
               "quickly (the steps it took are shown when it ends).", {"task": "dyck1"},
               show=("task",)),
        Preset("aⁿbⁿ", "Count the a's, then match them with b's.", {"task": "anbn"},
               show=("task",)),
        Preset("stuck seeds", "Some initialisations leave the stack idle and remember in the "
               f"hidden state instead. The stack model alone on {STUCK_SWEEP.seeds} seeds, "
               f"with {' and with '.join(map(str, STUCK_SWEEP.vary['tries']))} "
               "initialisations tried: press Run sweep in the Sweep tab; each point is the "
               "fraction of seeds whose stack height does not follow the depth.",
               STUCK_SWEEP.overrides, show=("tries", "noop_bias"), sweep=STUCK_SWEEP.name),
    ),
    sweeps=(STUCK_SWEEP,),
)
