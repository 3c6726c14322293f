"""Pointer networks: when the answer is a position in the input, point instead of naming it.

Trains the chosen decoder (pointer, or a vocabulary softmax over position indices) on sort,
identity or top-k selection with inputs of length min_len..max_len, measuring exact match on
a held-out (validation) set of every length up to test_max_len as it goes, and reports
accuracy per length on a separate test set. With `compare_decoders` the other decoder trains
on the same data stream from the same seed for the same number of steps; for `select`,
`compare_set_loss` also trains the other set loss (Hungarian-matched vs fixed-order). The
zeroed-output check measures the uniform decoder's loss against T·log T.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from core.analysis.permutation import hungarian_set_loss, log_factorial, sequence_nll
from core.analysis.pointer_eval import (decode_example, evaluate_lengths, mean_score,
                                        sample_by_length, score_batches, set_losses,
                                        trained_loss_at, uniform_check)
from core.labs.pointer.verdict import SUCCESS_ACCURACY, verdict
from core.measure import stop_point, stoppable, stopped_result
from core.arms import Arm, Trained, finish, train_arms
from core.contract import ConfigError, LabSpec, Preset, Result, knob
from core.device import build_seeded, pick_device, stream
from core.models.pointer import DECODERS, PointerNet
from core.sweep_spec import SweepSpec
from core.tasks.permutation import TASKS, PermutationTask, parse_numbers, scale_to_unit
from core.text_limits import POINTER_NUMBERS_MAX_CHARS
from core.train import train

VALIDATION_PER_LENGTH = 32  # held-out inputs per length, measured at every evaluation
TEST_PER_LENGTH = 200  # fresh inputs per length for the reported accuracy-by-length


@dataclass
class Config:
    task: str = knob("sort", "Task", "sort: indices of the numbers in ascending order. "
                     "identity: position t at step t. select: the positions of the k largest "
                     "numbers, an unordered set.", choices=TASKS)
    decoder: str = knob("pointer", "Decoder", "pointer: attention over the input positions is "
                        "the output. vocab: a softmax over a fixed list of position indices "
                        "0..max_len-1.", choices=DECODERS)
    compare_decoders: bool = knob(True, "Compare decoders", "Also train the other decoder on "
                                  "the same data, seed and number of steps.")
    masking: bool = knob(True, "Mask chosen positions", "Forbid a position that was already "
                         "emitted (and, for vocab, indices past the input's end).")
    set_loss: str = knob("hungarian", "Set loss", "hungarian: the loss matches the emitted "
                         "positions to the target set in the cheapest order. fixed: the loss "
                         "follows the (random) order the data lists the set in.",
                         choices=("hungarian", "fixed"), visible_if={"task": ("select",)})
    set_size: int = knob(3, "Set size k", "How many largest numbers to select; below the "
                         "shortest training input.", min=1, max=6,
                         visible_if={"task": ("select",)})
    min_len: int = knob(5, "Shortest training input", "Training lengths are drawn uniformly "
                        "from [shortest, longest].", min=2, max=20)
    max_len: int = knob(10, "Longest training input", "Also the vocab decoder's vocabulary "
                        "size: it can name positions 0..max_len-1 only.", min=3, max=20)
    test_max_len: int = knob(15, "Longest test input", "Accuracy is measured for every length "
                             "up to this one; longer than training tests generalisation.",
                             min=3, max=40)
    hidden: int = knob(64, "Hidden units", "Encoder and decoder LSTM size.", min=8, max=128,
                       step=8)
    compare_set_loss: bool = knob(True, "Compare set losses", "Also train with the other set "
                                  "loss.", visible_if={"task": ("select",)})
    lr: float = knob(0.01, "Learning rate", "Adam step size.", min=1e-4, max=0.1,
                     widget="log")
    steps: int = knob(600, "Training steps", "Optimiser steps per decoder. The time until "
                      f"held-out exact match first reaches {SUCCESS_ACCURACY:.0%} is reported; "
                      "training goes on to show how each decoder does on longer inputs.",
                      min=0, max=5000, step=5)
    batch: int = knob(64, "Batch size", "Sequences per step.", min=8, max=256, step=8)
    eval_every: int = knob(50, "Measure every", "Steps between held-out checks (and updates "
                           "of the accuracy-by-length figure).", min=5, max=500, step=5)
    seed: int = knob(0, "Seed", "Fixes data and initial weights.", min=0, max=2**31 - 1)

    def check(self) -> None:
        if self.min_len > self.max_len:
            raise ConfigError(f"min_len: the shortest training input ({self.min_len}) is "
                              f"longer than the longest (max_len = {self.max_len})")
        if self.test_max_len < self.max_len:
            raise ConfigError(f"test_max_len: the longest test input ({self.test_max_len}) "
                              f"is shorter than the longest training input "
                              f"(max_len = {self.max_len})")
        if self.task == "select" and self.set_size >= self.min_len:
            raise ConfigError(f"set_size: selecting {self.set_size} positions needs inputs "
                              f"longer than that, but the shortest training input is "
                              f"{self.min_len} (min_len)")


def make_task(config: Config) -> PermutationTask:
    return PermutationTask(config.task, config.min_len, config.max_len, config.set_size)


def training_loss(model: PointerNet, task: PermutationTask, b, masking: bool,
                  set_loss: str) -> torch.Tensor:
    """Mean loss per decoding step. Lists and the fixed-order set loss are teacher-forced on
    the data's order; the Hungarian loss decodes freely and matches afterwards, since there
    is no order to force."""
    steps = task.out_len(b.length)
    if task.is_set and set_loss == "hungarian":
        out = model(b.x, steps, feed=None, masking=masking)
        loss, _ = hungarian_set_loss(out.log_probs, b.target)
    else:
        out = model(b.x, steps, feed=b.target, masking=masking)
        loss = sequence_nll(out.log_probs, b.target)
    return loss.mean() / steps


def decode_typed(result: Result, text: str, arm: str | None = None) -> dict:
    """Decode a typed list of numbers with a trained model from `result`. Raises ValueError
    with a message naming the problem (too long, bad entry, too few or too many numbers)."""
    if len(text) > POINTER_NUMBERS_MAX_CHARS:
        raise ValueError(f"at most {POINTER_NUMBERS_MAX_CHARS} characters, got {len(text)}")
    models = result.artifacts.get("models") or {}
    if not models:
        raise ValueError("no trained model in this result; train first")
    arm = arm or next(iter(models))
    if arm not in models:
        raise ValueError(f"unknown model {arm!r}; trained: {', '.join(models)}")
    cfg = result.config
    task = PermutationTask(cfg["task"], cfg["min_len"], cfg["max_len"], cfg["set_size"])
    values = parse_numbers(text, min_len=task.set_size + 1 if task.is_set else 2)
    example = decode_example(models[arm], task, scale_to_unit(values), cfg["masking"])
    example["raw_values"] = values
    return example


def _live(scores: dict[int, dict], step: int, measured_on: str, per_length: int) -> dict:
    """The headline figure's data: exact match per input length."""
    lengths = sorted(scores)
    return {"lengths": lengths, "accuracy": [scores[n]["accuracy"] for n in lengths],
            "step": step, "measured_on": measured_on, "per_length": per_length}


@dataclass(frozen=True)
class DecoderSpec:
    """What one arm of the pointer lab trains: the run's Config, the task, the device, the
    decoder, and the loss on sets ("fixed" on sequences)."""
    config: Config
    task: PermutationTask
    device: object
    decoder: str
    set_loss: str


@stoppable
def _train_arm(arm: Arm, steps: int, report, should_stop) -> Trained:
    """Train one decoder on the seed's data stream. Every `eval_every` steps it decodes the
    validation set at every length up to test_max_len: the training lengths give the
    time-to-criterion, all of them the live accuracy-by-length. Then the test set."""
    spec: DecoderSpec = arm.spec
    config, task, device = spec.config, spec.task, spec.device
    with torch.device(device):
        model = build_seeded(config.seed, lambda: PointerNet(
            task.input_size, config.hidden, spec.decoder, vocab_size=config.max_len))
    data_gen = stream(config.seed, "train")
    lengths = range(config.min_len, config.test_max_len + 1)
    validation = sample_by_length(task, lengths, VALIDATION_PER_LENGTH,
                                  stream(config.seed, "validation"), device)
    reached: dict = {}
    measured: list[int] = []
    started = time.perf_counter()

    def step_fn(step: int):
        b = task.sample(config.batch, data_gen, device=device)
        return training_loss(model, task, b, config.masking, spec.set_loss)

    def evaluate(step: int) -> dict:
        scores = score_batches(model, task, validation, config.masking)
        trained_on = {n: s for n, s in scores.items() if n <= config.max_len}
        accuracy = mean_score(trained_on, "accuracy")
        if accuracy >= SUCCESS_ACCURACY and not reached:
            reached.update(seconds=time.perf_counter() - started, step=step)
        measured.append(step)
        return {"accuracy": accuracy, "token_accuracy": mean_score(trained_on, "token_accuracy"),
                "valid_rate": mean_score(trained_on, "valid_rate"),
                "live": _live(scores, step, "held-out", VALIDATION_PER_LENGTH)}

    log = train(list(model.parameters()), step_fn, steps=steps, lr=config.lr, evaluate=evaluate,
                eval_every=config.eval_every, on_step=report, should_stop=should_stop)
    stop_point(should_stop, "test accuracy by length and losses", log, model)
    model.eval()
    by_len = evaluate_lengths(model, task, lengths, TEST_PER_LENGTH, stream(config.seed, "test"),
                              config.masking, device, should_stop)
    summary = _test_summary(by_len, config, reached)
    stopped = should_stop is not None and should_stop()
    if not task.is_set:
        summary["trained_loss_at_T"] = None if stopped else trained_loss_at(
            model, task, task.max_len, stream(config.seed, "test"), config.masking, device)
    else:
        summary["set_losses"] = None if stopped else set_losses(
            model, task, stream(config.seed, "test"), config.masking, device)
    complete = len(by_len) == len(lengths)
    return Trained(arm, model, log, summary=summary,
                   live=_live(by_len, log.steps, "test", TEST_PER_LENGTH) if complete else None)


def _test_summary(by_len: dict[int, dict], config: Config, reached: dict) -> dict:
    """What the test set says, by length: the training lengths (exact match, token accuracy),
    the longer ones (generalisation), and validity everywhere. None where a stop cut it."""
    trained_on = {n: s for n, s in by_len.items() if n <= config.max_len}
    longer = {n: s for n, s in by_len.items() if n > config.max_len}
    return {
        "accuracy": mean_score(trained_on, "accuracy"),
        "token_accuracy": mean_score(trained_on, "token_accuracy"),
        "accuracy_beyond_training": mean_score(longer, "accuracy"),
        "valid_permutation_rate": mean_score(by_len, "valid_rate"),
        "accuracy_by_length": {n: s["accuracy"] for n, s in by_len.items()},
        "valid_rate_by_length": {n: s["valid_rate"] for n, s in by_len.items()},
        "seconds_to_criterion": reached.get("seconds"),
        "steps_to_criterion": reached.get("step"),
    }


def _arms(config: Config, task: PermutationTask, device) -> list[Arm]:
    """The headline decoder first, then the rivals: the other decoder, the other set loss."""
    main_loss = config.set_loss if task.is_set else "fixed"
    other_loss = "fixed" if main_loss == "hungarian" else "hungarian"
    specs = [(config.decoder, main_loss)]
    if config.compare_decoders:
        specs.append((next(d for d in DECODERS if d != config.decoder), main_loss))
    if task.is_set and config.compare_set_loss:
        specs.append((config.decoder, other_loss))
    return [Arm(f"{decoder} · {loss}" if task.is_set else decoder,
                spec=DecoderSpec(config, task, device, decoder, loss))
            for decoder, loss in specs]


def run(config: Config, on_step=None, should_stop=None) -> Result:
    start = time.perf_counter()
    device = pick_device()
    task = make_task(config)
    arms = _arms(config, task, device)
    trained = train_arms(arms, _train_arm, steps=config.steps,
                         on_step=on_step, should_stop=should_stop, beside=True)
    stopped = stopped_result(config, start, trained, should_stop, arms,
                             ("the zeroed-decoder check",))
    if stopped is not None:
        return stopped
    main = trained[0]
    T = config.max_len
    uniform = uniform_check(main.model, task, T, stream(config.seed, "test"), device)
    probe = task.sample(1, stream(config.seed, "probe"), n=T).x[0, :, 0].tolist()
    summary = main.summary
    metrics = {
        **summary,
        "zeroed_decoder_loss": uniform["zeroed_decoder_loss"], "t_log_t": uniform["t_log_t"],
        "log_t_factorial": uniform["log_t_factorial"], "vocab_size": config.max_len,
        "seconds_to_success": summary["seconds_to_criterion"],
        "success_accuracy": SUCCESS_ACCURACY, "test_per_length": TEST_PER_LENGTH,
        "validation_per_length": VALIDATION_PER_LENGTH,
        "comparison": {t.name: t.summary for t in trained},
    }
    if task.is_set:
        metrics["fixed_order_loss_floor"] = log_factorial(task.set_size)
    arrays = {"probes": {t.name: decode_example(t.model, task, probe, config.masking)
                         for t in trained},
              "uniform_check_task": uniform["check_task"]}
    # Validity is demanded of the masked pointer only: a vocabulary decoder cannot emit a
    # valid permutation of an input longer than its vocabulary, masked or not.
    accuracy = summary["accuracy"]
    success = (accuracy is not None and accuracy >= SUCCESS_ACCURACY
               and (not config.masking or config.decoder == "vocab"
                    or summary["valid_permutation_rate"] == 1.0))
    status = "succeeded" if success and main.log.status == "completed" else None
    notes = []
    if should_stop is not None and should_stop():
        status = "stopped" if main.log.status != "diverged" else None
        if main.live is None or main.live.get("measured_on") != "test":
            notes.append("The test set was not measured; the accuracy-by-length figure shows "
                         "the last held-out measurement.")
    return finish(config, start, trained, metrics=metrics, arrays=arrays,
                  success=success, status=status, notes=notes)


LAB = LabSpec(
    id="pointer", title="Pointer Networks", order=30, icon=":material/ads_click:",
    question="When the answer is a position in the input, why point instead of predicting "
             "from a vocabulary?",
    what_you_see="A pointer network and a vocabulary decoder learning to sort on the same "
                 "data, with exact match against input length growing as they train; where "
                 "each decoding step points; the zeroed decoder's loss against T·log T; and a "
                 "set target scored with and without Hungarian matching.",
    Config=Config, run=run, verdict=verdict,
    smoke={"steps": 20, "hidden": 8, "eval_every": 10, "max_len": 6, "test_max_len": 8,
           "compare_set_loss": False},
    primary=("task", "decoder", "compare_decoders", "masking", "set_loss", "max_len"),
    picture=("accuracy_beyond_training", "headline decoder's exact match on inputs longer "
             "than any it trained on"),
    sweeps=(
        # One decoder per point; the test range only has to reach the longest training input.
        SweepSpec(name="exact match vs longest training input", metric="accuracy", seeds=3,
                  vary={"max_len": (6, 10, 14, 18), "decoder": DECODERS},
                  overrides={"compare_decoders": False, "test_max_len": 18}),
    ),
    presets=(
        Preset("pointing sorts", "The pointer decoder sorts, and with masking every output is "
               "a valid permutation — also on lengths it never trained on. The vocabulary "
               "decoder trains beside it on the same data.",
               {}, show=("task", "masking", "compare_decoders")),
        Preset("a vocabulary cannot name new positions", "The same encoder with a softmax over "
               "position indices: it cannot name a position beyond its vocabulary, so it "
               "scores nothing on longer inputs.",
               {"decoder": "vocab", "compare_decoders": False}, show=("decoder", "max_len")),
        Preset("masking off", "Without masking the pointer may emit a position twice; watch "
               "the valid-permutation rate.", {"masking": False}, show=("masking",)),
        Preset("sets, not sequences", "Select the largest numbers as an unordered set: the "
               "Hungarian-matched loss does not care about order, the fixed-order one does.",
               {"task": "select", "compare_decoders": False}, show=("task", "set_loss")),
    ),
)
