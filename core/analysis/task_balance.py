"""How two tasks share an encoder: the cosine between their gradients, and loss weights.

Gradient cosine (as in Yu et al. 2020, "Gradient surgery for multi-task learning"): with g_a
and g_b the gradients of the two task losses with respect to the shared parameters,
cos = g_a·g_b / (|g_a| |g_b|). Positive: a step that helps one task helps the other;
negative: the tasks conflict on the shared weights.

Uncertainty weighting (Kendall, Gal & Cipolla 2018, eq. 10 for classification): each task
has a learned s_i = log σ_i², and the combined loss is Σ_i exp(-s_i)·L_i + s_i/2. Its
derivative in s_i, -exp(-s_i)·L_i + 1/2, vanishes at s_i = ln(2 L_i): at equilibrium a
task's weight exp(-s_i) is 1/(2 L_i), so a task whose loss is already low is weighted up
and a noisy, hard one down.
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
