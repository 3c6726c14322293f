"""Arms side by side give the result of arms one after another (core.arm_scheduler)."""
import threading

import pytest
import torch

from core.arm_scheduler import arm_workers, arms_at_once
from core.arms import Arm, Trained, train_arms
from core.train import train

SUCCESS_AT = 30  # the headline's evaluations succeed from this step on


def _train_linear(arm: Arm, steps: int, report, should_stop) -> Trained:
    """A least-squares fit whose batches come from its own seeded generator; the headline
    succeeds at SUCCESS_AT, a rival never does (so its steps are the ones it was given)."""
    gen = torch.Generator().manual_seed(arm.spec["seed"])
    w = torch.zeros(3, requires_grad=True)
    truth = torch.tensor([1.0, -2.0, 0.5])
    threads = set()

    def step_fn(step):
        threads.add(threading.current_thread().name)
        x = torch.randn(16, 3, generator=gen)
        loss = ((x @ w - x @ truth) ** 2).mean()
        return loss * arm.spec.get("blow_up_at", {}).get(step, 1.0)

    log = train([w], step_fn, steps=steps, lr=0.05, evaluate=lambda s: {"at": float(s)},
                eval_every=10, is_success=lambda m: arm.headline and m["at"] >= SUCCESS_AT,
                on_step=report, should_stop=should_stop)
    return Trained(arm, None, log, summary={"w": w.detach().tolist(), "threads": threads})


def _arms(**headline):
    return [Arm("headline", spec={"seed": 1, **headline}), Arm("b", spec={"seed": 2}),
            Arm("c", spec={"seed": 3}, weight=2.0)]


def _outcome(trained):
    return [(t.name, t.log.status, t.log.steps, t.summary["w"],
             [{k: v for k, v in h.items()} for h in t.log.history]) for t in trained]


@pytest.mark.parametrize("beside", [False, True])
@pytest.mark.parametrize("match", [True, False])
def test_side_by_side_equals_one_after_another(beside, match):
    with arms_at_once(1):
        alone = train_arms(_arms(), _train_linear, steps=100, rivals_match_main=match)
    entries = []
    with arms_at_once(3):
        together = train_arms(_arms(), _train_linear, steps=100, rivals_match_main=match,
                              beside=beside, on_step=lambda s, m: entries.append(m))
    assert _outcome(together) == _outcome(alone)
    # the rivals trained the headline's 30 steps (or their own 100), not the planned 100
    assert [t.log.steps for t in alone] == ([SUCCESS_AT] * 3 if match
                                            else [SUCCESS_AT, 100, 100])
    threads = [t.summary["threads"] for t in together]
    assert len(set().union(*threads)) == 3  # each arm in a thread of its own
    assert {m["series"] for m in entries} == {"headline", "b", "c"}
    progress = [m["progress"] for m in entries]
    assert max(progress) == pytest.approx(1.0) and min(progress) >= 0.0


def test_rivals_of_a_diverged_headline_are_dropped_side_by_side_too():
    arms = _arms(blow_up_at={12: float("nan")})
    with arms_at_once(1):
        alone = train_arms(arms, _train_linear, steps=100)
    with arms_at_once(3):
        together = train_arms(arms, _train_linear, steps=100, beside=True)
    assert [t.log.status for t in alone] == ["diverged"]
    assert _outcome(together) == _outcome(alone)


def test_a_stop_keeps_what_one_after_another_would():
    stop = threading.Event()

    def report(step, metrics):
        if metrics["series"] == "headline" and step == 15:
            stop.set()
    with arms_at_once(3):
        trained = train_arms(_arms(), _train_linear, steps=100, beside=True,
                             on_step=report, should_stop=stop.is_set)
    assert [t.name for t in trained] == ["headline"]
    assert trained[0].log.status == "stopped"


def test_an_arm_that_fails_raises_in_the_caller():
    def failing(arm, steps, report, should_stop):
        if arm.name == "b":
            raise RuntimeError("arm b failed")
        return _train_linear(arm, steps, report, should_stop)
    with arms_at_once(3), pytest.raises(RuntimeError, match="arm b failed"):
        train_arms(_arms(), failing, steps=100, beside=True)


def test_arms_inside_an_arm_train_one_after_another():
    inner = []

    def nested(arm, steps, report, should_stop):
        inner.append(arm_workers())
        return _train_linear(arm, steps, report, should_stop)
    with arms_at_once(3):
        train_arms(_arms(), nested, steps=20)
    assert inner == [1, 1, 1]


@pytest.mark.parametrize("lab_id", ["gradients", "pointer", "attention", "stack"])
def test_a_lab_side_by_side_is_the_lab_one_after_another(lab_id):
    """Same seed, same numbers: every arm's history and the comparison the page draws."""
    from core.labs import get_lab
    lab = get_lab(lab_id)
    config = lab.make_config(lab.smoke)
    with arms_at_once(1):
        alone = lab.run(config)
    with arms_at_once(3):
        together = lab.run(config)
    assert len(alone.arrays["histories"]) > 1  # the smoke run has rivals
    assert together.arrays["histories"] == alone.arrays["histories"]
    assert together.steps == alone.steps and together.status == alone.status
    assert _numbers(together.metrics["comparison"]) == _numbers(alone.metrics["comparison"])


def _numbers(tree):
    """The comparison without its clock readings (seconds differ between any two runs)."""
    if isinstance(tree, dict):
        return {k: _numbers(v) for k, v in tree.items() if "seconds" not in str(k)}
    if isinstance(tree, (list, tuple)):
        return [_numbers(v) for v in tree]
    return tree


def test_a_busy_server_trains_a_runs_arms_one_after_another(monkeypatch):
    import core.arm_scheduler
    from core.slots import SLOTS
    monkeypatch.setattr(core.arm_scheduler, "usable_cores", lambda: 16)
    monkeypatch.setenv("RNNLAB_MAX_RUNS", "1")
    assert arm_workers() == 1
    monkeypatch.setenv("RNNLAB_MAX_RUNS", "3")
    assert arm_workers() == 3  # the command line: every slot is free
    tickets = []
    try:
        for held in (3, 2, 1):  # this run's slot, then others' runs take the rest
            tickets.append(SLOTS.admit(object(), None))
            assert SLOTS.acquire(tickets[-1], lambda: False)
            assert arm_workers() == held
    finally:
        for ticket in tickets:
            SLOTS.release(ticket)


def test_arms_side_by_side_keep_the_callers_default_device():
    """torch keeps the default device per thread; the meta-device tests rely on it reaching
    every arm."""
    seen = []

    def record(arm, steps, report, should_stop):
        seen.append(torch.get_default_device().type)
        with torch.device("cpu"):
            return _train_linear(arm, steps, report, should_stop)
    torch.set_default_device("meta")
    try:
        with arms_at_once(3):
            train_arms(_arms(), record, steps=10)
    finally:
        torch.set_default_device(None)
    assert seen == ["meta"] * 3
