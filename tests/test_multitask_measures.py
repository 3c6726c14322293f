"""The Multi-task lab's measurements and task against hand computations: gradient cosines,
uncertainty weights and their fixed point, matched parameter counts; the two tasks' labels by
brute force."""
import math

import pytest
import torch

from core.analysis.task_balance import (UncertaintyWeights, cosine, equilibrium_weight,
                                        flat_gradient, task_gradient_cosine)
from core.device import stream
from core.models.multitask import MultiTaskLSTM, matched_hidden, parameter_count
from core.tasks.two_tasks import TAG_LAG, TwoTasks, balanced_threshold


def test_cosine_by_hand():
    assert cosine(torch.tensor([1.0, 0.0]), torch.tensor([1.0, 1.0])) == pytest.approx(
        1 / math.sqrt(2))
    assert cosine(torch.tensor([1.0, 2.0]), torch.tensor([-2.0, 1.0])) == pytest.approx(0.0)
    assert cosine(torch.tensor([3.0, -1.0]), torch.tensor([-6.0, 2.0])) == pytest.approx(-1.0)
    assert cosine(torch.zeros(2), torch.tensor([1.0, 0.0])) == 0.0



def test_task_gradients_of_a_linear_encoder_by_hand():
    """h = W x, L_a = u·h, L_b = v·h: dL_a/dW = u xᵀ, dL_b/dW = v xᵀ, so the cosine is
    (u·v)(x·x) / (|u||x| |v||x|) = cos(u, v)."""
    W = torch.randn(3, 4, generator=stream(1, "init")).requires_grad_(True)
    x = torch.tensor([1.0, -2.0, 0.5, 3.0])
    u, v = torch.tensor([1.0, 2.0, -1.0]), torch.tensor([0.5, -1.0, 2.0])
    h = W @ x
    grad_a = flat_gradient(u @ h, [W])
    assert torch.allclose(grad_a, torch.outer(u, x).reshape(-1))
    expected = float(u @ v) / float(u.norm() * v.norm())
    assert task_gradient_cosine(u @ h, v @ h, [W]) == pytest.approx(expected, abs=1e-6)



def test_uncertainty_weights_settle_at_one_over_twice_the_loss():
    losses = [torch.tensor(0.05), torch.tensor(0.8)]
    weights = UncertaintyWeights(2)
    opt = torch.optim.Adam(weights.parameters(), lr=0.05)
    for _ in range(3000):
        opt.zero_grad()
        weights(losses).backward()
        opt.step()
    assert weights.weights() == pytest.approx([equilibrium_weight(0.05), equilibrium_weight(0.8)],
                                              rel=1e-3)
    assert equilibrium_weight(0.05) == pytest.approx(10.0)
    # the combined loss by hand at s = (0.3, -0.2)
    with torch.no_grad():
        weights.log_variance.copy_(torch.tensor([0.3, -0.2]))
    hand = math.exp(-0.3) * 0.05 + 0.15 + math.exp(0.2) * 0.8 - 0.1
    assert float(weights(losses).detach()) == pytest.approx(hand, rel=1e-6)



def test_parameter_count_matches_the_modules():
    for symbols, hidden in ((4, 32), (3, 7)):
        for heads in (("tag", "seq"), ("seq",)):
            model = MultiTaskLSTM(symbols, hidden, heads)
            assert sum(p.numel() for p in model.parameters()) == parameter_count(
                symbols, hidden, len(heads))
    h = matched_hidden(4, 32)
    total = parameter_count(4, 32, 2)
    assert abs(2 * parameter_count(4, h, 1) - total) <= min(
        abs(2 * parameter_count(4, k, 1) - total) for k in (h - 1, h + 1))



def test_two_task_labels_brute_force():
    for relatedness in ("related", "unrelated"):
        task = TwoTasks(symbols=3, length=12, relatedness=relatedness)
        b = task.sample(50, stream(0, "train"))
        for tokens, tags, label in zip(b.tokens.tolist(), b.tags.tolist(), b.label.tolist()):
            assert tags == [int(t >= TAG_LAG and tokens[t] == tokens[t - TAG_LAG])
                            for t in range(12)]
            if relatedness == "related":
                assert label == int(sum(tags) >= task.threshold)
            else:
                assert label == int(tokens.count(0) > tokens.count(1))



def test_balanced_threshold_splits_the_exact_binomial():
    n, p = 28, 0.25
    m = balanced_threshold(n, p)
    tail = lambda k: sum(math.comb(n, j) * p ** j * (1 - p) ** (n - j) for j in range(k, n + 1))
    assert all(abs(tail(m) - 0.5) <= abs(tail(k) - 0.5) for k in range(n + 2))
