"""How two tasks share an encoder: the cosine between their gradients, and loss weights.

Gradient cosine (as in Yu et al. 2020, "Gradient surgery for multi-task learning"): with g_a
and g_b the gradients of the two task losses with respect to the shared parameters,
cos = g_a·g_b / (|g_a| |g_b|). Positive: a step that helps one task helps the other;
negative: the tasks conflict on the shared weights.

Uncertainty weighting (Kendall, Gal & Cipolla 2018, eq. 10 for classification): each task
has a learned s_i = log σ_i², and the combined loss is Σ_i exp(-s_i)·L_i + s_i/2. Its
derivative in s_i, -exp(-s_i)·L_i + 1/2, vanishes at s_i = ln(2 L_i): at equilibrium a
task's weight exp(-s_i) is 1/(2 L_i), so a task whose loss is already low is weighted up
and a noisy, hard one down. That is where the weights come to rest if the losses hold
still; whether they get there depends on the optimiser: Adam moves each s_i by about its
learning rate a step, so reaching s* = ln(2 L) from s = 0 takes at least |s*| / lr steps.
fixed_point_distance says how far the learned weights still are.

Loss curves of different weightings are compared on one quantity, the plain sum of the task
losses (shown_as): each weighting's own objective has a different scale (a fixed 0.5/0.5
weighting is half the sum; Kendall's has the s_i/2 terms), so drawn as is, two runs would
differ by construction.
"""
from __future__ import annotations

import math

import torch
from torch import nn


def flat_gradient(loss: torch.Tensor, params: list) -> torch.Tensor:
    """The gradient of `loss` with respect to `params`, flattened (zeros where unused)."""
    grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
    return torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1)
                      for g, p in zip(grads, params)])


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    """g_a·g_b / (|g_a| |g_b|); 0 when either is the zero vector."""
    na, nb = float(a.norm()), float(b.norm())
    if na == 0.0 or nb == 0.0:
        return 0.0
    return float(a @ b) / (na * nb)


def task_gradient_cosine(loss_a: torch.Tensor, loss_b: torch.Tensor, shared: list) -> float:
    return cosine(flat_gradient(loss_a, shared), flat_gradient(loss_b, shared))


class UncertaintyWeights(nn.Module):
    """Learned task weights: loss = Σ exp(-s_i)·L_i + s_i/2, s_i = log σ_i², starting at 0
    (every weight 1)."""

    def __init__(self, tasks: int) -> None:
        super().__init__()
        self.log_variance = nn.Parameter(torch.zeros(tasks))

    def forward(self, losses: list) -> torch.Tensor:
        s = self.log_variance
        return sum(torch.exp(-s[i]) * loss + s[i] / 2 for i, loss in enumerate(losses))

    def weights(self) -> list[float]:
        return [math.exp(-float(v)) for v in self.log_variance.detach().cpu()]


def equilibrium_weight(task_loss: float) -> float:
    """exp(-s*) at the s* = ln(2L) where the uncertainty-weighted loss is stationary."""
    return 1.0 / (2.0 * task_loss)


def fixed_point_distance(weights: list, losses: list) -> list[dict]:
    """For each task: the learned weight exp(-s), its fixed point 1/(2L), the distance
    between them in log-weight |s - s*| (nats; 0 at the fixed point), and the share of the
    way from the start s = 0 to s* = ln(2L) travelled (1 at the fixed point; None when
    s* = 0, where the start is the fixed point)."""
    rows = []
    for weight, loss in zip(weights, losses):
        s, target = -math.log(weight), math.log(2.0 * loss)
        rows.append({"weight": weight, "fixed_point": equilibrium_weight(loss),
                     "log_distance": abs(s - target),
                     "travelled": s / target if target != 0 else None})
    return rows


def shown_as(objective: torch.Tensor, shown: torch.Tensor) -> torch.Tensor:
    """A loss with the value of `shown` and the gradient of `objective` (x - x.detach() is
    zero, with x's gradient): train on the objective, chart one common quantity."""
    return objective - objective.detach() + shown.detach()
