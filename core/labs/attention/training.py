"""How the attention lab trains one seq2seq arm on the seed's streams, and the lengths,
batches and probe input the run, its studies and its probes all measure on."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

from core.analysis.decoding import greedy, score_by_length
from core.measure import stop_point, stoppable
from core.arms import Arm, Trained
from core.device import build_seeded, stream
from core.models.seq2seq import Seq2Seq
from core.tasks.transduction import FIRST_SYMBOL, TransductionTask
from core.train import train

if TYPE_CHECKING:  # the Config lives in the package's __init__, which imports this module
    from core.labs.attention import Config

STOP_ACCURACY = 0.95  # validation accuracy of the criterion, with a margin over SUCCESS_ACCURACY
# After the accuracy criterion, training goes on until the validation alignment entropy is at
# most this fraction of the uniform ln T_x. Rows of that entropy hold on average at least
# T_x^(-0.12) of their weight on one input position (alignment.peak_weight_floor): 0.76 at
# T_x = 10, 0.85 at 4, a sharp anti-diagonal rather than a band. The default reaches it
# 0-400 steps after the criterion (seeds 0-3), within its step budget.
SHARP_RATIO = 0.12
VALIDATION_PER_LENGTH = 32  # held-out inputs per measured length, at every evaluation
TEST_PER_LENGTH = 200  # fresh inputs per length for the reported accuracy by length


@dataclass(frozen=True)
class Seq2SeqArm:
    """What one arm of the attention lab trains: the run's Config, the decoder's attention,
    the device, and a context size d_h that overrides config.hidden (the capacity study)."""
    config: "Config"
    attention: str
    device: object
    hidden: int | None = None


def make_task(config: "Config") -> TransductionTask:
    return TransductionTask(config.task, config.symbols)


def training_lengths(config: "Config") -> list[int]:
    return list(range(config.min_len, config.max_len + 1))


def measured_lengths(config: "Config") -> list[int]:
    """The input lengths accuracy is measured at: the training range and beyond."""
    return list(range(config.min_len, max(config.max_len, config.test_max_len) + 1))


def probe_input(config: "Config", device=None) -> torch.Tensor:
    """One fixed input of the longest training length: the headline heatmap's. Its letters
    are a random order of the alphabet (repeated only when the input is longer than V), so
    on every task each output step has one input position to look at: with a letter
    repeated, attention split between its copies would still be right and read as a blur."""
    gen = stream(config.seed, "probe")
    rounds = -(-config.max_len // config.symbols)
    order = torch.cat([torch.randperm(config.symbols, generator=gen, device="cpu")
                       for _ in range(rounds)])
    source = order[:config.max_len] + FIRST_SYMBOL
    return source.to(device) if device is not None else source


def batches_by_length(task: TransductionTask, lengths, per_length: int, gen, device) -> dict:
    return {L: task.sample(per_length, L, gen, device) for L in lengths}


@stoppable
def train_seq2seq(arm: Arm, steps: int, report, should_stop) -> Trained:
    """Train one seq2seq on the seed's data stream, measuring on the validation stream as it
    goes, then score it per length on the test stream."""
    spec: Seq2SeqArm = arm.spec
    config, attention, device = spec.config, spec.attention, spec.device
    task = make_task(config)
    with torch.device(device):
        model = build_seeded(config.seed, lambda: Seq2Seq(
            task.vocab_size, spec.hidden or config.hidden, config.cell, attention))
    data_gen = stream(config.seed, "train")
    fit_lengths, lengths = training_lengths(config), measured_lengths(config)
    validation = batches_by_length(task, lengths, VALIDATION_PER_LENGTH,
                                   stream(config.seed, "validation"), device)
    probe = probe_input(config, device)
    names_in = task.decode(probe)
    checkpoints = {"steps": [], "attention": [], "output": []}
    measured: list[int] = []  # the steps evaluated

    def step_fn(step: int):
        pick = torch.randint(len(fit_lengths), (1,), generator=data_gen, device="cpu")
        L = fit_lengths[int(pick)]
        b = task.sample(config.batch, L, data_gen, device)
        logits, _ = model(b.source, b.decoder_input)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), b.target.reshape(-1))

    def evaluate(step: int) -> dict:
        measured.append(step)
        scores = score_by_length(model, validation)
        metrics = {"accuracy": scores.mean("accuracy", fit_lengths),
                   "token_accuracy": scores.mean("token_accuracy", fit_lengths)}
        if scores.entropy_ratio:
            metrics["alignment_entropy_ratio"] = scores.mean("entropy_ratio", fit_lengths)
        with torch.no_grad():
            dec = greedy(model, probe.unsqueeze(0), max_len=len(probe) + 1)
        output = task.decode(dec.tokens[0])
        live = {"step": step, "lengths": lengths, "train_lengths": fit_lengths,
                "accuracy": [scores.accuracy[L] for L in lengths],
                "input": names_in, "output": output}
        if dec.attention is not None:
            live["attention"] = np.round(dec.attention[0].cpu().numpy(), 3).tolist()
        if arm.headline:
            checkpoints["steps"].append(step)
            checkpoints["output"].append(output)
            if "attention" in live:
                checkpoints["attention"].append(live["attention"])
        return {**metrics, "live": live}

    def picture_done(m: dict) -> bool:  # accurate, and (with attention) sharp
        return (m["accuracy"] >= STOP_ACCURACY
                and m.get("alignment_entropy_ratio", 0.0) <= SHARP_RATIO)

    log = train(list(model.parameters()), step_fn, steps=steps, lr=config.lr, clip=1.0,
                evaluate=evaluate, eval_every=config.eval_every, is_success=picture_done,
                on_step=report, should_stop=should_stop,
                target=lambda m: m["accuracy"] >= STOP_ACCURACY)
    stop_point(should_stop, "test accuracy by length", log, model)
    criterion = ({} if log.steps_to_success is None else
                 {"step": log.steps_to_success, "seconds": log.seconds_to_success})
    test = batches_by_length(task, lengths, TEST_PER_LENGTH, stream(config.seed, "test"),
                             device)
    scores = score_by_length(model, test, should_stop)
    return Trained(arm, model, log, summary={"scores": scores, "criterion": criterion},
                   extra={"checkpoints": checkpoints, "probe": probe.tolist()})


def seq2seq_arm(config: "Config", attention: str, device, name: str | None = None,
                hidden: int | None = None) -> Arm:
    return Arm(name or attention, spec=Seq2SeqArm(config, attention, device, hidden))


def length_report(scores, fit_lengths) -> dict:
    """A model's test scores: means over the training lengths and curves by length."""
    report = {"accuracy": scores.mean("accuracy", fit_lengths),
              "token_accuracy": scores.mean("token_accuracy", fit_lengths),
              "accuracy_by_length": scores.accuracy,
              "token_accuracy_by_length": scores.token_accuracy}
    if scores.entropy_ratio:
        report.update(alignment_entropy_ratio=scores.mean("entropy_ratio", fit_lengths),
                      alignment_entropy_ratio_by_length=scores.entropy_ratio,
                      alignment_peak_weight=scores.mean("peak_weight", fit_lengths))
    return report
