"""Training a run's arms side by side on free cores, with the same result as one after another.

Threads, not processes: PyTorch releases the GIL inside its kernels, and the labs' models
spend their steps there (a fused LSTM or GRU runs the whole sequence in one call), so two
threads with one intra-op thread each keep two cores busy; a process would have to import
torch again (seconds) and ship every model and figure back. Measured on this project's
machine under load, two single-model Gradient Flow runs (GRU, 60 steps): side by side in two
threads 1.8x faster than one after another, in two fresh processes 0.5x. Each arm thread runs in a copy of the caller's context with `arms_at_once(1)`,
so an arm that is itself a run with arms (a study) trains those one after another.

How many at once (`arm_workers`): the run's own slot plus the server's free ones
(`core.slots.spare_slots`), at most the cores this process may use; on a busy server, one.

The fairness rule, that every rival trains exactly the steps the headline model took, holds
two ways:
- A rival that waits (the default) starts when the headline has finished, with its steps.
- A rival `beside` the headline starts at once and is held one step behind it: after each of
  its steps it asks the headline's `StepGate` whether that step was the headline's last,
  waiting until the headline has taken the next step or finished. It ends at the headline's
  count with the same final measurement as a rival told that count from the start, so its
  result is identical. Only a lab whose `train_one` makes one `core.train.train` call with
  the steps it is given, and whose rivals read nothing the headline leaves behind, may put
  its rivals beside the headline.
"""
from __future__ import annotations

import contextvars
import os
import threading
from contextlib import contextmanager
from typing import Callable

import torch

_FIXED_WIDTH: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "arm_workers", default=None)
_GATE: contextvars.ContextVar["StepGate | None"] = contextvars.ContextVar("step_gate",
                                                                          default=None)
_LEADER: contextvars.ContextVar["StepGate | None"] = contextvars.ContextVar("step_leader",
                                                                            default=None)


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def arm_workers() -> int:
    """How many arms of a run may train at once here and now."""
    fixed = _FIXED_WIDTH.get()
    if fixed is not None:
        return max(1, fixed)
    from core.slots import SLOTS, spare_slots
    own = 1 if SLOTS.active else 0  # a run on the server holds a slot; the command line none
    return max(1, min(usable_cores(), own + spare_slots()))


@contextmanager
def arms_at_once(n: int):
    """Within this block, runs train at most `n` arms at once (1: one after another)."""
    token = _FIXED_WIDTH.set(n)
    try:
        yield
    finally:
        _FIXED_WIDTH.reset(token)


class StepGate:
    """The headline arm's step count as the rivals beside it see it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._taken = 0
        self.final: int | None = None  # the headline's steps, once its training loop ended
        self.status: str | None = None

    def taken(self, step: int) -> None:
        with self._cond:
            self._taken = step
            self._cond.notify_all()

    def ended(self, steps: int, status: str) -> None:
        with self._cond:
            self.final, self.status = steps, status
            self._cond.notify_all()

    def is_last(self, step: int, cancelled: Callable[[], bool]) -> bool:
        """Whether the headline ended at `step`: wait until it has taken step + 1 or ended.
        A cancelled wait (Stop) answers True, so the rival ends where it is."""
        with self._cond:
            while self.final is None and self._taken <= step:
                if cancelled():
                    return True
                self._cond.wait(timeout=0.2)
            return self.final is not None and self.final <= step


def step_gate() -> "StepGate | None":
    """The gate a training loop in a rival beside the headline consults (None elsewhere)."""
    return _GATE.get()


def step_leader() -> "StepGate | None":
    """The gate a training loop in the headline arm reports its steps to (None elsewhere)."""
    return _LEADER.get()


def in_context(fn: Callable, *, gate: StepGate | None = None,
               leader: StepGate | None = None) -> Callable:
    """`fn` to run in a thread: in a copy of this context and with this thread's default
    torch device, its own arms one at a time, with the gate it follows or leads."""
    context = contextvars.copy_context()
    default_device = torch.get_default_device()  # torch keeps it per thread

    def run():
        torch.set_default_device(default_device)
        _FIXED_WIDTH.set(1)
        _GATE.set(gate)
        _LEADER.set(leader)
        return fn()
    return lambda: context.run(run)


def headline_done_entry(arms: list, headline, rivals_match_main: bool,
                        series: str | None) -> dict | None:
    """The progress entry that says the headline model has finished and its rivals go on
    (the page says so while they train): None when there are no rivals, or when the
    headline ended in a way that skips them. `headline` is its Trained, `series` the name
    its last entry went out under (so the entry names no series the live chart lacks)."""
    if len(arms) < 2 or headline is None or headline.log.status in ("stopped", "diverged"):
        return None
    same = rivals_match_main and all(a.steps is None for a in arms[1:])
    return {"series": series or arms[0].name, "headline": arms[0].name,
            "headline_done": headline.log.steps, "rivals_same_steps": same}


def train_side_by_side(arms: list, launch: Callable, *, steps: int,
                       workers: Callable[[], int],
                       on_step: Callable | None, should_stop: Callable[[], bool] | None,
                       rivals_match_main: bool, beside: bool) -> list:
    """`launch(i, arm_steps, report, should_stop) -> Trained` for every arm, up to `workers`
    at once (asked again before each start, so a run that took a free slot meanwhile gets
    it back), each in its own thread; the Trained in the order of `arms`, cut where training them one after
    another would have stopped (core.arms.train_arms says when). A rival that waits starts
    when the headline has finished; the others start as workers free up, costliest first
    (by `weight`), so the longest arm is not the last one started."""
    n = len(arms)
    user_stop = should_stop if should_stop is not None else (lambda: False)

    def stop() -> bool:  # an arm that failed stops the others
        return bool(errors) or user_stop()
    total_weight = sum(a.weight for a in arms) or 1.0
    spans = [a.weight / total_weight for a in arms]
    fractions = [0.0] * n
    results: list = [None] * n
    errors: list[BaseException] = []
    done: set[int] = set()
    cond = threading.Condition()
    out_lock = threading.Lock()  # entries reach on_step one at a time
    gate = StepGate() if beside and rivals_match_main else None
    headline_series: list[str | None] = [None]  # the series its last entry went out under

    def independent(i: int) -> bool:
        return arms[i].steps is not None or not rivals_match_main

    def arm_steps(i: int) -> int:
        if arms[i].steps is not None:
            return arms[i].steps
        if i and rivals_match_main:
            return results[0].log.steps if 0 in done else steps  # beside: the gate cuts it
        return steps

    def reporter(i: int, planned: int) -> Callable | None:
        if on_step is None:
            return None

        def report(step: int, metrics: dict) -> None:
            inner = metrics.get("progress")
            target = gate.final if (gate is not None and i and not independent(i)
                                    and gate.final is not None) else planned
            frac = float(inner) if inner is not None else (min(step / target, 1.0)
                                                           if target else 1.0)
            name = arms[i].name
            series = f"{name} · {metrics['series']}" if metrics.get("series") else name
            with out_lock:
                fractions[i] = frac
                if i == 0:
                    headline_series[0] = series
                on_step(step, {**metrics, "series": series,
                               "progress": sum(s * f for s, f in zip(spans, fractions))})
        return report

    def start(i: int) -> None:
        planned = arm_steps(i)
        role = {}
        if gate is not None and i == 0:
            role["leader"] = gate
        elif gate is not None and not independent(i) and 0 not in done:
            role["gate"] = gate

        def work():
            try:
                results[i] = launch(i, planned, reporter(i, planned), stop)
            except BaseException as exc:  # re-raised in the caller once the others end
                errors.append(exc)
            finally:
                if i == 0 and gate is not None and gate.final is None:
                    gate.ended(0, "failed")  # release the rivals held behind it
                if i == 0 and on_step is not None and not stop():
                    entry = headline_done_entry(arms, results[0], rivals_match_main,
                                                headline_series[0])
                    if entry is not None:
                        with out_lock:
                            fractions[0] = 1.0
                            on_step(entry["headline_done"], {
                                **entry,
                                "progress": sum(s * f for s, f in zip(spans, fractions))})
                with cond:
                    done.add(i)
                    fractions[i] = 1.0
                    cond.notify_all()
        thread = threading.Thread(target=in_context(work, **role), name=f"arm-{arms[i].name}",
                                  daemon=True)
        threads.append(thread)
        thread.start()

    def ended_early() -> bool:
        """Whether the arms not yet started are skipped, as one after another would."""
        finished = [results[i] for i in done if results[i] is not None]
        return (stop() or any(t.log.status == "stopped" for t in finished)
                or (rivals_match_main and 0 in done and results[0] is not None
                    and results[0].log.status == "diverged"))

    threads: list[threading.Thread] = []
    waiting = sorted(range(1, n), key=lambda i: -arms[i].weight)
    running = {0}
    start(0)
    with cond:
        while True:
            running -= done
            if waiting and ended_early():
                waiting.clear()
            width = workers() if waiting else 0
            for i in list(waiting):
                if len(running) >= width:
                    break
                if 0 in done or independent(i) or gate is not None:
                    waiting.remove(i)
                    running.add(i)
                    start(i)
            if not running and not waiting:
                break
            cond.wait(timeout=0.2)
    # Every arm has returned; wait for its thread to end too. A command-line run exits right
    # after this, and a thread still unwinding torch state at interpreter exit aborted the
    # process ("terminate called without an active exception", exit -6) after it had printed.
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return _as_one_after_another(results, rivals_match_main)


def _as_one_after_another(results: list, rivals_match_main: bool) -> list:
    """The arms training them one after another would have kept: up to the first one not
    trained, or after one that was stopped, or none past a headline that diverged."""
    kept = []
    for i, t in enumerate(results):
        if t is None:
            break
        if i and (any(k.log.status == "stopped" for k in kept)
                  or (rivals_match_main and kept[0].log.status == "diverged")):
            break
        kept.append(t)
    return kept
