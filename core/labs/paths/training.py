"""The three models the Recurrence vs Attention lab compares and its task, built from its
Config, and training one of them (an "arm", core.arms) and measuring it: used by the lab's
main run and by its fixed-gate study.

An arm's spec (TaggerSpec) holds the Config, the device and `build` (a function making the
model; it runs under the seed's lock, so every arm of a run starts from the weights the seed
gives).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import torch

from core.analysis.lstm_highway import lstm_highway
from core.analysis.path_length import (accuracy, accuracy_by_lag, fit_decay_rate,
                                       gradient_by_distance, gradient_reach, pointing_attention,
                                       predictions, tagging_loss)
from core.analysis.model_size import parameter_count
from core.arms import Arm, Trained
from core.measure import stop_point, stoppable
from core.device import build_seeded, stream
from core.models.causal_attention import CausalAttentionTagger
from core.models.fixed_gates import pin_forget_gate
from core.models.recurrent import RecurrentClassifier
from core.tasks.long_range import LongRangeTask
from core.train import train

if TYPE_CHECKING:  # the Config lives in the package's __init__, which imports this module
    from core.labs.paths import Config

MODELS = ("rnn", "lstm", "attention")
SYMBOLS = 8  # alphabet size; chance accuracy is 1/8
# The LSTM's forget-gate bias at the start (Jozefowicz et al. 2015 recommend 1): the gate
# starts near sigma(1) = 0.73 and learns from there, unless the run pins it.
LSTM_FORGET_BIAS = 1.0


def make_task(config) -> LongRangeTask:
    return LongRangeTask(config.task, SYMBOLS, config.seq_len, config.lag)


def build_model(name: str, task: LongRangeTask, config, *, seq_len: int | None = None,
                kernel: str = "fused"):
    """A tagger emitting logits at every step: the tanh RNN, the LSTM (its forget gate
    pinned when `config.pin_forget` is set) or causal self-attention with room for
    `seq_len` positions (the task's by default)."""
    if name == "attention":
        return CausalAttentionTagger(task.input_size, config.hidden, config.heads,
                                     config.layers, SYMBOLS, seq_len or task.seq_len,
                                     positions=config.positions, kernel=kernel)
    if name not in ("rnn", "lstm"):
        raise ValueError(f"unknown model {name!r}; expected one of {MODELS}")
    model = RecurrentClassifier(name, task.input_size, config.hidden, SYMBOLS,
                                forget_bias=LSTM_FORGET_BIAS if name == "lstm" else 0.0)
    if name == "lstm" and config.pin_forget:
        pin_forget_gate(model.core, config.pin_forget)
    return model


STOP_ACCURACY = 0.93  # early stop with a margin, so the separate test set clears 0.9
VALIDATION_SIZE = 512  # sequences early stopping reads
TEST_SIZE = 1024  # fresh sequences the reported accuracy is measured on
PROBE_SIZE = 128  # the fixed batch whose gradients the figures show
MAP_PROBES = 32  # probe sequences whose attention maps are measured


@dataclass(frozen=True)
class TaggerSpec:
    """What one arm of the paths lab trains: the Config, the device, the function building
    the tagger, and its kind ("attention" and "lstm" get their own measurements)."""
    config: "Config"
    device: object
    build: Callable[[], torch.nn.Module]
    kind: str | None = None


@stoppable
def train_tagger(arm: Arm, steps: int, report, should_stop) -> Trained:
    """Train one model on the seed's data stream, measuring as it goes: accuracy on the
    validation set (which early stopping reads) and the gradient reaching every input
    position of a fixed probe batch (the live headline figure). Then, on a separate test
    set, accuracy overall and by lag; for attention its maps, for the LSTM its highway."""
    spec: TaggerSpec = arm.spec
    config, device = spec.config, spec.device
    task = make_task(config)
    with torch.device(device):
        model = build_seeded(config.seed, spec.build)
    data_gen = stream(config.seed, "train")
    validation = task.sample(VALIDATION_SIZE, stream(config.seed, "validation"), device)
    probe = task.sample(PROBE_SIZE, stream(config.seed, "probe"), device)
    latest: dict = {}
    size = parameter_count(model)

    def step_fn(step: int):
        b = task.sample(config.batch, data_gen, device)
        return tagging_loss(model(b.x), b.target)

    def evaluate(step: int) -> dict:
        grads = gradient_by_distance(model, probe.x, probe.target)
        latest.update(grads=grads, step=step)
        return {"accuracy": accuracy(model, validation),
                "live": {"grad_by_distance": grads, "step": step, "parameters": size}}

    log = train(list(model.parameters()), step_fn, steps=steps, lr=config.lr, clip=1.0,
                evaluate=evaluate, eval_every=config.eval_every,
                is_success=lambda m: m["accuracy"] >= STOP_ACCURACY,
                on_step=report, should_stop=should_stop)
    stop_point(should_stop, "test accuracy, accuracy by lag and gradient fit", log, model)
    test = task.sample(TEST_SIZE, stream(config.seed, "test"), device)
    grads = latest["grads"]
    predicted = predictions(model, test.x)
    summary = {"accuracy": accuracy(model, test, predicted),
               "accuracy_by_lag": accuracy_by_lag(model, test, predicted=predicted),
               "grad_by_distance": grads, "decay_rate": fit_decay_rate(grads),
               "reach": gradient_reach(grads)}
    kind = spec.kind
    if kind == "attention":
        stop_point(should_stop, "attention maps", log, model)
        summary["attention"] = attention_view(model, probe)
    if kind == "lstm":
        stop_point(should_stop, "the LSTM highway", log, model)
        # the replay uses the model's own gates: a pinned one is sigmoid(logit(p)) = p
        summary["highway"] = lstm_highway(model.core, model.head, probe.x, probe.target)
        summary["highway_probe"] = (probe.x, probe.target)
    return Trained(arm, model, log, summary=summary)


@torch.no_grad()
def attention_view(model, probe) -> dict:
    """The attention maps of a few probe sequences: which head points at the answer, and
    that head's full map on the probe with the longest lag (rounded for the Result)."""
    sub = probe.__class__(*(t[:MAP_PROBES] for t in (probe.x, probe.tokens, probe.target,
                                                      probe.lags, probe.source)))
    _, maps = model(sub.x, return_maps=True)
    pointing = pointing_attention(maps, sub)
    example = int(sub.lags.max(dim=1).values.argmax())
    head_map = maps[pointing["layer"]][example, pointing["head"]]
    return {**pointing, "example_map": head_map.round(decimals=4).tolist(),
            "example_tokens": sub.tokens[example].tolist(),
            "example_source": sub.source[example].tolist(),
            "readout_rows": [[m[example, h, -1].round(decimals=4).tolist()
                              for h in range(m.shape[1])] for m in maps]}
