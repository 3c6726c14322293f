"""The one training loop every lab uses.

Adam by default, gradient-norm clipping, periodic evaluation with early stop on the lab's own
success test, a guard that stops on a non-finite loss or gradient and restores the last good
parameters, and callbacks (`on_step`, `should_stop`) as the seam between learning and watching.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import torch

from core.arm_scheduler import step_gate, step_leader

StepFn = Callable[[int], "torch.Tensor | tuple[torch.Tensor, dict]"]


@dataclass
class TrainLog:
    status: str  # "succeeded" (early stop), "completed", "stopped", "diverged"
    steps: int  # optimiser steps actually taken
    history: list = field(default_factory=list)  # one dict per logged step
    message: str = ""
    wall_s: float = 0.0
    seconds_to_success: float | None = None  # when `target` first held (else `is_success`)
    steps_to_success: int | None = None  # the step of that evaluation
    skipped: list = field(default_factory=list)  # evaluations a stop skipped (their steps)
    lr: float | None = None  # the optimiser's learning rate, as it trained
    parameters: int = 0  # the numbers it trained (parameters that require a gradient)


_warm = False


def warm_up() -> None:
    """Build and step one optimiser, once per process. The first torch.optim construction
    imports torch's compiler stack (about 0.8 s here); a server pays it at start-up instead
    of on a student's first Train."""
    global _warm
    if not _warm:
        p = torch.nn.Parameter(torch.zeros(1, device="cpu"))
        opt = make_optimizer([p], "adam", 1e-3)
        p.sum().backward()
        opt.step()
        _warm = True


def phase_reporter(on_step, series: str, steps: int, base: float = 0.0, span: float = 1.0):
    """The `on_step` for one of several models a run trains one after another: each entry is
    tagged with the model's `series` name and the run's overall progress in [0, 1], this
    model covering [base, base + span]. Phases nest: an entry that already carries its own
    progress and series (a whole run inside a sweep) is mapped into this phase's span and
    named "<series> · <its series>". None when nobody is watching."""
    if on_step is None:
        return None

    def report(step: int, metrics: dict) -> None:
        inner = metrics.get("progress")
        frac = float(inner) if inner is not None else (min(step / steps, 1.0) if steps else 1.0)
        name = f"{series} · {metrics['series']}" if metrics.get("series") else series
        on_step(step, {**metrics, "series": name, "progress": base + span * frac})
    return report


def make_optimizer(params, name: str, lr: float) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}")


def train(params: Iterable[torch.Tensor], step_fn: StepFn, *, steps: int, lr: float,
          clip: float = 1.0, optimizer: str = "adam", **loop) -> TrainLog:
    """Run `steps` optimiser steps of `step_fn(step) -> loss` with a fresh optimiser: a
    `Trainer` used once (the keyword arguments of `Trainer.train` pass through)."""
    return Trainer(params, lr=lr, clip=clip, optimizer=optimizer).train(step_fn, steps=steps,
                                                                        **loop)


class Trainer:
    """The training loop, able to continue: it keeps its optimiser (Adam's moments), its step
    count and its log across calls to `train`, so a model trained in two phases (a short
    probe, then the rest for the initialisation that won) trains as if in one run."""

    def __init__(self, params: Iterable[torch.Tensor], *, lr: float, clip: float = 1.0,
                 optimizer: str = "adam") -> None:
        self.params = [p for p in params if p.requires_grad]
        self.opt = make_optimizer(self.params, optimizer, lr)
        self.clip = clip
        self.log = TrainLog(status="completed", steps=0, lr=float(lr),
                            parameters=sum(p.numel() for p in self.params))
        self.started: float | None = None  # the first call's start: the target clock's zero

    def train(self, step_fn: StepFn, *, steps: int,
              evaluate: Callable[[int], dict] | None = None, eval_every: int = 25,
              is_success: Callable[[dict], bool] | None = None,
              on_step: Callable[[int, dict], None] | None = None,
              should_stop: Callable[[], bool] | None = None,
              target: Callable[[dict], bool] | None = None,
              log_every: int = 1) -> TrainLog:
        """Run `steps` more optimiser steps of `step_fn(step) -> loss` (or `(loss,
        extra_metrics)`), numbered after the steps already taken, into the same log.

        `evaluate(step) -> metrics` runs every `eval_every` steps, after the last one, and once
        more when a divergence ends training between measurements; once `should_stop()` holds
        no evaluation runs (Stop means stop: the slot is freed now, and `log.skipped` records
        the evaluation it did not make); when
        `is_success(metrics)` holds, training stops early with status "succeeded". `target`,
        beside it, is the clock of a lab that trains the full steps on purpose: the first
        evaluation whose metrics satisfy `target(metrics)` sets `steps_to_success` and
        `seconds_to_success` (seconds since training began) and training goes on; without a
        target, the early stop sets them. A "live" entry in its metrics (figure data) reaches
        `on_step` but not the history. `clip <= 0` disables clipping. A non-finite loss or
        gradient ends the run as "diverged" with the parameters put back to the last values
        that gave a finite loss.
        """
        params, opt, log, clip = self.params, self.opt, self.log, self.clip
        log.status = "completed"
        start = time.perf_counter()
        if self.started is None:
            self.started = start
        first, last = log.steps + 1, log.steps + steps
        last_good = [p.detach().clone() for p in params]
        # a rival training beside its headline model ends where the headline did
        # (core.arm_scheduler): after each step it asks whether the headline ended there
        gate, leader = step_gate(), step_leader()
        stopping = should_stop if should_stop is not None else (lambda: False)

        def record(step: int, metrics: dict) -> None:
            entry = {"step": step, **metrics}
            if step % log_every == 0 or "eval" in metrics:
                # figure data for the page's live headline is passed on, not kept: the history
                # holds numbers only, and the lab keeps the last figure data itself
                log.history.append({k: v for k, v in entry.items() if k != "live"})
            if on_step is not None:
                on_step(step, entry)

        def reached(step: int) -> None:
            if log.steps_to_success is None:
                log.steps_to_success = step
                log.seconds_to_success = time.perf_counter() - self.started

        def measure(step: int) -> dict:
            metrics = evaluate(step)
            if target is not None and target(metrics):
                reached(step)
            record(step, {**metrics, "eval": True})
            return metrics

        def run_eval(step: int) -> bool:
            if evaluate is None:
                return False
            if should_stop is not None and should_stop():
                log.skipped.append(step)
                return False
            metrics = measure(step)
            if is_success is not None and is_success(metrics):
                reached(step)
                return True
            return False

        if steps <= 0:
            run_eval(log.steps)
        for step in range(first, last + 1):
            if should_stop is not None and should_stop():
                log.status, log.message = "stopped", f"stopped by request after {log.steps} steps"
                break
            out = step_fn(step)
            loss, extra = (out if isinstance(out, tuple) else (out, {}))
            grad_norm = None
            if torch.isfinite(loss):
                opt.zero_grad(set_to_none=True)
                loss.backward()
                grad_norm = _grad_norm(params)
            if grad_norm is None or not math.isfinite(grad_norm):
                _restore(params, last_good)
                what = (f"loss became {loss.item()}" if grad_norm is None
                        else f"gradient norm became {grad_norm}")
                log.status = "diverged"
                log.message = (f"{what} at step {step}; stopped and kept the last parameters "
                               f"that gave a finite loss and gradient")
                break
            for good, p in zip(last_good, params):
                good.copy_(p.detach())
            if clip > 0:
                torch.nn.utils.clip_grad_norm_(params, clip)
            opt.step()
            log.steps = step
            record(step, {"loss": float(loss.detach()), "grad_norm": grad_norm,
                          **{k: float(v) for k, v in extra.items()}})
            if leader is not None:
                leader.taken(step)
            at_end = step == last or (gate is not None and gate.is_last(step, stopping))
            if (step % eval_every == 0 or at_end) and run_eval(step):
                log.status = "succeeded"
                break
            if at_end:
                break
        if log.status == "diverged" and evaluate is not None and not any(
                h.get("eval") and h["step"] == log.steps for h in log.history):
            # ended between measurements: measure the parameters it ended with, so the
            # figures show the model as it was (a stop measures nothing more: see above)
            measure(log.steps)
        elif log.status == "stopped" and evaluate is not None and log.steps not in (
                [h["step"] for h in log.history if h.get("eval")] + log.skipped):
            log.skipped.append(log.steps)
        if leader is not None:
            leader.ended(log.steps, log.status)
        log.wall_s += time.perf_counter() - start
        return log


def _grad_norm(params: list[torch.Tensor]) -> float:
    total = 0.0
    for p in params:
        if p.grad is not None:
            total += float(p.grad.detach().pow(2).sum())
    return math.sqrt(total) if math.isfinite(total) else float("inf")


@torch.no_grad()
def _restore(params: list[torch.Tensor], saved: list[torch.Tensor]) -> None:
    for p, s in zip(params, saved):
        p.copy_(s)
