"""Pointer networks: when the answer is a position in the input, point instead of naming it.

Trains the chosen decoder (pointer or vocabulary softmax over position indices) on sort,
identity or top-k selection with inputs of length min_len..max_len, then tests lengths up to
test_max_len. With `compare_decoders` the other decoder trains on the same data stream from the
same seed for the same number of steps; for `select`, `compare_set_loss` also trains the other
set loss (Hungarian-matched vs fixed-order). The zeroed-output check measures the uniform
decoder's loss against T·log T.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from core.analysis.permutation import hungarian_set_loss, log_factorial, sequence_nll
from core.analysis.pointer_eval import (decode_example, evaluate_lengths, mean_score, set_losses,
                                        trained_loss_at, uniform_check)
from core.contract import ConfigError, LabSpec, Preset, Result, knob
from core.device import pick_device, seed_everything, seeded_generator
from core.models.pointer import DECODERS, PointerNet
from core.tasks.permutation import TASKS, PermutationTask, parse_numbers, scale_to_unit
from core.train import phase_reporter, train

STOP_ACCURACY = 0.95  # held-out check that ends training early
SUCCESS_ACCURACY = 0.9  # final test on fresh samples that counts as success
HELD_OUT_PER_LENGTH = 64  # examples per length for the periodic check
TEST_PER_LENGTH = 200  # examples per length for the final accuracy-by-length


@dataclass
class Config:
    task: str = knob("sort", "Task", "sort: indices of the numbers in ascending order. "
                     "identity: position t at step t. select: the positions of the k largest "
                     "numbers, an unordered set.", choices=TASKS)
    decoder: str = knob("pointer", "Decoder", "pointer: attention over the input positions is "
                        "the output. vocab: a softmax over a fixed list of position indices "
                        "0..max_len-1.", choices=DECODERS)
    masking: bool = knob(True, "Mask chosen positions", "Forbid a position that was already "
                         "emitted (and, for vocab, indices past the input's end).")
    set_loss: str = knob("hungarian", "Set loss", "hungarian: the loss matches the emitted "
                         "positions to the target set in the cheapest order. fixed: the loss "
                         "follows the (random) order the data lists the set in.",
                         choices=("hungarian", "fixed"), visible_if={"task": ("select",)})
    set_size: int = knob(3, "Set size k", "How many largest numbers to select.", min=1,
                         max=6, visible_if={"task": ("select",)})
    min_len: int = knob(5, "Shortest training input", "Training lengths are drawn uniformly "
                        "from [shortest, longest].", min=2, max=20)
    max_len: int = knob(10, "Longest training input", "Also the vocab decoder's vocabulary "
                        "size: it can name positions 0..max_len-1 only.", min=3, max=20)
    test_max_len: int = knob(15, "Longest test input", "Accuracy is measured for every length "
                             "up to this one; longer than training tests generalisation.",
                             min=3, max=40)
    hidden: int = knob(32, "Hidden units", "Encoder and decoder LSTM size.", min=8, max=128,
                       step=8)
    compare_decoders: bool = knob(True, "Compare decoders", "Also train the other decoder on "
                                  "the same data, seed and number of steps.")
    compare_set_loss: bool = knob(True, "Compare set losses", "Also train with the other set "
                                  "loss.", visible_if={"task": ("select",)})
    lr: float = knob(0.01, "Learning rate", "Adam step size.", min=1e-4, max=0.1,
                     widget="log")
    steps: int = knob(1500, "Training steps", "Most optimiser steps; training stops early "
                      "once held-out exact match reaches 95%; success is 90% on a fresh "
                      "test set.", min=0, max=5000, step=50)
    batch: int = knob(64, "Batch size", "Sequences per step.", min=8, max=256, step=8)
    eval_every: int = knob(50, "Measure every", "Steps between held-out checks.", min=5,
                           max=500, step=5)
    seed: int = knob(0, "Seed", "Fixes data and initial weights.", min=0, max=2**31 - 1)


@dataclass(frozen=True)
class Arm:
    decoder: str
    set_loss: str

    def name(self, task: PermutationTask) -> str:
        return f"{self.decoder} · {self.set_loss}" if task.is_set else self.decoder


def make_task(config: Config) -> PermutationTask:
    if config.min_len > config.max_len:
        raise ConfigError(f"shortest training input ({config.min_len}) is longer than the "
                         f"longest ({config.max_len})")
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
    with a message naming the problem (bad entry, too few or too many numbers)."""
    models = result.artifacts.get("models") or {}
    if not models:
        raise ValueError("no trained model in this result; train first")
    arm = arm or next(iter(models))
    if arm not in models:
        raise ValueError(f"unknown model {arm!r}; trained: {', '.join(models)}")
    task: PermutationTask = result.artifacts["task"]
    shortest = task.set_size + 1 if task.is_set else 2
    values = parse_numbers(text, min_len=shortest)
    example = decode_example(models[arm], task, scale_to_unit(values),
                             result.config["masking"])
    example["raw_values"] = values
    return example


def _train_arm(arm: Arm, config: Config, task: PermutationTask, steps: int, device, on_step,
               should_stop, progress_base: float, progress_span: float, label: str) -> dict:
    seed_everything(config.seed)
    with torch.device(device):
        model = PointerNet(task.input_size, config.hidden, arm.decoder,
                           vocab_size=config.max_len)
    data_gen = seeded_generator(config.seed)
    train_lengths = range(task.min_len, task.max_len + 1)
    latest: dict = {}

    def step_fn(step: int):
        b = task.sample(config.batch, data_gen, device=device)
        return training_loss(model, task, b, config.masking, arm.set_loss)

    def evaluate(step: int) -> dict:
        scores = evaluate_lengths(model, task, train_lengths, HELD_OUT_PER_LENGTH,
                                  config.seed + 1, config.masking, device)
        latest.update(accuracy=mean_score(scores, "accuracy"),
                      token_accuracy=mean_score(scores, "token_accuracy"),
                      valid_rate=mean_score(scores, "valid_rate"))
        return dict(latest)

    report = phase_reporter(on_step, label, steps, progress_base, progress_span)

    log = train(list(model.parameters()), step_fn, steps=steps, lr=config.lr, evaluate=evaluate,
                eval_every=config.eval_every,
                is_success=lambda m: m["accuracy"] >= STOP_ACCURACY,
                on_step=report, should_stop=should_stop)
    model.eval()
    lengths = range(task.min_len, max(config.test_max_len, task.max_len) + 1)
    by_len = evaluate_lengths(model, task, lengths, TEST_PER_LENGTH, config.seed + 2,
                              config.masking, device)
    in_range = {n: s for n, s in by_len.items() if n <= task.max_len}
    summary = {
        "accuracy": mean_score(in_range, "accuracy"),
        "token_accuracy": mean_score(in_range, "token_accuracy"),
        "valid_permutation_rate": mean_score(by_len, "valid_rate"),
        "accuracy_by_length": {n: s["accuracy"] for n, s in by_len.items()},
        "valid_rate_by_length": {n: s["valid_rate"] for n, s in by_len.items()},
    }
    if not task.is_set:
        summary["trained_loss_at_T"] = trained_loss_at(model, task, task.max_len,
                                                        config.seed + 3, config.masking, device)
    else:
        summary["set_losses"] = set_losses(model, task, config.seed + 4, config.masking, device)
    return {"arm": arm, "name": label, "model": model, "log": log, "summary": summary}


def _arms(config: Config, task: PermutationTask) -> list[Arm]:
    main = Arm(config.decoder, config.set_loss if task.is_set else "fixed")
    arms = [main]
    if config.compare_decoders:
        other = next(d for d in DECODERS if d != config.decoder)
        arms.append(Arm(other, main.set_loss))
    if task.is_set and config.compare_set_loss:
        arms.append(Arm(main.decoder, "fixed" if main.set_loss == "hungarian" else "hungarian"))
    return arms


def run(config: Config, on_step=None, should_stop=None) -> Result:
    start = time.perf_counter()
    device = pick_device()
    task = make_task(config)
    arms = _arms(config, task)
    span = 1.0 / len(arms)
    trained = [_train_arm(arms[0], config, task, config.steps, device, on_step, should_stop,
                          0.0, span, arms[0].name(task))]
    log = trained[0]["log"]
    # Rivals get the number of steps the main arm used (it may have stopped early).
    for i, arm in enumerate(arms[1:], start=1):
        if log.status in ("stopped", "diverged") or (should_stop and should_stop()):
            break
        trained.append(_train_arm(arm, config, task, log.steps, device, on_step, should_stop,
                                  span * i, span, arm.name(task)))
    main = trained[0]
    T = config.max_len
    uniform = uniform_check(main["model"], task, T, config.seed + 5, device)
    probe_values = task.sample(1, seeded_generator(config.seed + 6), n=T).x[0, :, 0].tolist()
    metrics = {
        **main["summary"],
        "zeroed_decoder_loss": uniform["zeroed_decoder_loss"],
        "t_log_t": uniform["t_log_t"],
        "log_t_factorial": uniform["log_t_factorial"],
        "vocab_size": config.max_len,
        "final_loss": next((h["loss"] for h in reversed(log.history) if "loss" in h), None),
        "seconds_to_success": log.seconds_to_success,
        "comparison": {t["name"]: t["summary"] for t in trained},
    }
    if task.is_set:
        metrics["fixed_order_loss_floor"] = log_factorial(task.set_size)
    arrays = {
        "probes": {t["name"]: decode_example(t["model"], task, probe_values, config.masking)
                   for t in trained},
        "rival_histories": {t["name"]: t["log"].history for t in trained[1:]},
        "main": main["name"],
        "uniform_check_task": uniform["check_task"],
    }
    # Validity is demanded of the masked pointer only: a vocabulary decoder cannot emit a
    # valid permutation of an input longer than its vocabulary, masked or not.
    success = (main["summary"]["accuracy"] >= SUCCESS_ACCURACY
               and (not config.masking or config.decoder == "vocab"
                    or main["summary"]["valid_permutation_rate"] == 1.0))
    return Result(lab="pointer", config=vars(config).copy(), metrics=metrics, success=success,
                  status=log.status, steps=log.steps, wall_s=time.perf_counter() - start,
                  history=log.history, arrays=arrays, message=log.message,
                  artifacts={"models": {t["name"]: t["model"] for t in trained}, "task": task})


LAB = LabSpec(
    id="pointer", title="Pointer Networks", order=30, icon=":material/ads_click:",
    question="When the answer is a position in the input, why point instead of predicting "
             "from a vocabulary?",
    what_you_see="A pointer network and a vocabulary decoder learning to sort on the same "
                 "data; where each decoding step points; exact-match accuracy against input "
                 "length beyond training; the zeroed decoder's loss against T·log T; and a "
                 "set target scored with and without Hungarian matching.",
    Config=Config, run=run,
    smoke={"steps": 20, "hidden": 8, "eval_every": 10, "max_len": 6, "test_max_len": 8,
           "compare_set_loss": False},
    presets=(
        Preset("pointing sorts", "The pointer decoder sorts, and with masking every output is "
               "a valid permutation — also on lengths it never trained on.",
               {}, show=("task", "masking")),
        Preset("a vocabulary cannot name new positions", "The same encoder with a softmax over "
               "position indices: it cannot name a position beyond its vocabulary.",
               {"decoder": "vocab", "compare_decoders": False}, show=("decoder", "max_len")),
        Preset("masking off", "Without masking the pointer may emit a position twice; watch "
               "the valid-permutation rate.", {"masking": False}, show=("masking",)),
        Preset("sets, not sequences", "Select the largest numbers as an unordered set: the "
               "Hungarian-matched loss does not care about order, the fixed-order one does.",
               {"task": "select"}, show=("task", "set_loss")),
    ),
)
