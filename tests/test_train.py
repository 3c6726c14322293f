"""The training loop: early stop, the divergence guard, stopping on request, clipping."""
import math

import torch

from core.train import train


def quadratic(target=3.0):
    w = torch.nn.Parameter(torch.zeros(1))
    return w, (lambda step: ((w - target) ** 2).sum())


def test_early_stop_on_success():
    w, loss = quadratic()
    log = train([w], loss, steps=2000, lr=0.1, eval_every=10,
                evaluate=lambda s: {"err": abs(w.detach().item() - 3)},
                is_success=lambda m: m["err"] < 0.05)
    assert log.status == "succeeded"
    assert log.steps < 2000 and abs(w.item() - 3) < 0.05
    assert log.seconds_to_success is not None


def test_divergence_stops_and_restores_last_good_parameters():
    w = torch.nn.Parameter(torch.ones(1))

    def loss(step):
        return (w * (float("nan") if step == 5 else 1.0)).sum()

    log = train([w], loss, steps=20, lr=0.1, clip=0)
    assert log.status == "diverged" and log.steps == 4
    assert "step 5" in log.message
    assert math.isfinite(w.detach().item())
    # the parameters step 5 used produced NaN, so the guard goes back to those step 4 used:
    # three Adam updates of 0.1 each on a linear loss
    assert abs(w.detach().item() - (1 - 0.3)) < 1e-4


def test_should_stop_ends_the_run():
    w, loss = quadratic()
    calls = []
    log = train([w], loss, steps=100, lr=0.01, should_stop=lambda: len(calls) >= 7,
                on_step=lambda s, m: calls.append(s))
    assert log.status == "stopped" and log.steps == 7


def test_clipping_bounds_the_update_with_sgd():
    w = torch.nn.Parameter(torch.zeros(1))
    train([w], lambda s: (1000.0 * w).sum(), steps=1, lr=1.0, clip=0.5, optimizer="sgd")
    assert abs(w.detach().item() + 0.5) < 1e-6  # gradient 1000 clipped to norm 0.5


def test_a_non_finite_gradient_with_a_finite_loss_also_stops_the_run():
    w = torch.nn.Parameter(torch.ones(1))
    log = train([w], lambda s: torch.sqrt(w - 1).sum(), steps=5, lr=0.1)  # d/dw = inf at 1
    assert log.status == "diverged" and "gradient norm" in log.message
    assert w.detach().item() == 1.0 and log.steps == 0


def test_target_clock_records_the_first_evaluation_that_reaches_it_and_trains_on():
    # the evaluation returns the step itself, so the target "step >= 30" is first met at the
    # evaluation of step 30 (every 10 steps), and a full-length run goes on to the end
    w, loss = quadratic()
    seen = []
    log = train([w], loss, steps=60, lr=0.1, eval_every=10,
                evaluate=lambda s: {"step_seen": s},
                target=lambda m: seen.append(m["step_seen"]) or m["step_seen"] >= 30)
    assert log.status == "completed" and log.steps == 60
    assert log.steps_to_success == 30 and log.seconds_to_success is not None
    assert seen == [10, 20, 30, 40, 50, 60]


def test_target_never_reached_leaves_the_clock_empty():
    w, loss = quadratic()
    log = train([w], loss, steps=20, lr=0.1, eval_every=10, evaluate=lambda s: {"x": 0.0},
                target=lambda m: m["x"] > 1)
    assert log.steps_to_success is None and log.seconds_to_success is None


def test_early_stop_records_its_step_without_a_target():
    w, loss = quadratic()
    log = train([w], loss, steps=2000, lr=0.1, eval_every=10,
                evaluate=lambda s: {"err": abs(w.detach().item() - 3)},
                is_success=lambda m: m["err"] < 0.05)
    assert log.steps_to_success == log.steps and log.steps % 10 == 0
