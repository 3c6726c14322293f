"""Uncertainty weights against their fixed point, and one loss quantity across weightings."""
import math

import pytest
import torch

from core.analysis.task_balance import (UncertaintyWeights, equilibrium_weight,
                                        fixed_point_distance, shown_as)


def test_distance_to_the_fixed_point_by_hand():
    """Weight 18.9 against 1/(2 x 0.001) = 500: s = -ln 18.9, s* = ln 0.002, so the log
    distance is ln(500/18.9) and the share travelled ln 18.9 / ln 500."""
    far, near = fixed_point_distance([18.9, 1.0], [0.001, 0.5])
    assert far["fixed_point"] == pytest.approx(500.0)
    assert far["log_distance"] == pytest.approx(math.log(500 / 18.9))
    assert far["travelled"] == pytest.approx(math.log(18.9) / math.log(500))
    assert near["log_distance"] == 0.0 and near["travelled"] is None  # 1/(2L) = 1 = start


def test_weights_that_settle_are_at_distance_zero_and_short_training_is_not():
    """Task losses held fixed: long enough Adam reaches 1/(2L) (distance ~0, travelled ~1);
    30 steps at lr 0.01 cover s by at most 0.3, far short of |ln(2 x 0.01)| = 3.9."""
    losses = [torch.tensor(0.01), torch.tensor(0.8)]
    for steps, settled in ((30, False), (400, True)):
        weights = UncertaintyWeights(2)
        opt = torch.optim.Adam(weights.parameters(), lr=0.01 if not settled else 0.05)
        for _ in range(steps):
            opt.zero_grad()
            weights(losses).backward()
            opt.step()
        rows = fixed_point_distance(weights.weights(), [float(v) for v in losses])
        if settled:
            assert all(r["log_distance"] < 1e-3 for r in rows)
            assert rows[0]["travelled"] == pytest.approx(1.0, abs=1e-3)
        else:
            assert rows[0]["log_distance"] > 3.5 and rows[0]["travelled"] < 0.1
    assert equilibrium_weight(0.01) == pytest.approx(50.0)


def test_shown_as_keeps_the_objective_gradient_and_the_common_value():
    a, b = torch.tensor(0.7, requires_grad=True), torch.tensor(0.2, requires_grad=True)
    objective = 0.5 * a + 0.5 * b  # a fixed weighting: half the sum
    loss = shown_as(objective, a + b)
    assert float(loss.detach()) == pytest.approx(0.9)
    loss.backward()
    assert float(a.grad) == pytest.approx(0.5) and float(b.grad) == pytest.approx(0.5)
