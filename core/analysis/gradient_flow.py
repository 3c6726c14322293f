"""Gradient norms through time, measured with autograd on an unrolled model, and the closed
forms for a linear recurrence they are checked against.

For h_t = a·h_{t-1} + W x_t the Jacobian dh_{t+1}/dh_t is a·I, so with a loss on the last
step only (many-to-one) dL/dh_t = a^(T-t)·dL/dh_T, and with a loss at every step
(many-to-many, equal per-step read-out gradient g) dL/dh_1 = g·Σ_{k=0}^{T-1} a^k.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from core.models.instrumented import unroll
from core.models.recurrent import RecurrentClassifier
from core.tasks.recall import IGNORE


@dataclass
class GradientProfile:
    hidden_norms: list  # mean over the batch of ||dL/dh_t||, index 0 = first timestep
    input_norms: list  # mean over the batch of ||dL/dx_t||
    gate_means: dict  # gate name -> mean activation per timestep
    gate_units: dict  # gate name -> (T, H) mean over the batch, for a per-unit heatmap


def sequence_loss(logits: torch.Tensor, target: torch.Tensor, target_seq: torch.Tensor,
                  supervision: str, reduction: str = "mean") -> torch.Tensor:
    if supervision == "many_to_one":
        return F.cross_entropy(logits[:, -1], target, reduction=reduction)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target_seq.reshape(-1),
                           ignore_index=IGNORE, reduction=reduction)


def gradient_norms_through_time(model: RecurrentClassifier, x: torch.Tensor,
                                target: torch.Tensor, target_seq: torch.Tensor,
                                supervision: str) -> GradientProfile:
    """Backpropagate the summed (per-example) loss through the full unrolled sequence and
    report the size of the gradient reaching each hidden state and each input."""
    x = x.detach().clone().requires_grad_(True)
    run = unroll(model, x)
    loss = sequence_loss(run.logits, target, target_seq, supervision, reduction="sum")
    loss.backward()
    model.zero_grad(set_to_none=True)
    hidden_norms = [float(h.grad.norm(dim=1).mean()) for h in run.hidden]
    input_norms = x.grad.norm(dim=2).mean(0).tolist()
    gate_means = {k: v.mean(dim=(0, 2)).tolist() for k, v in run.gates.items()}
    gate_units = {k: v.mean(0).tolist() for k, v in run.gates.items()}
    return GradientProfile(hidden_norms, input_norms, gate_means, gate_units)


def linear_gradient_at_first_step(a: float, T: int, supervision: str, width: int = 4) -> float:
    """Measure ||dL/dh_1|| / ||g|| by autograd on h_t = a·h_{t-1} + x_t, with L = Σ g·h_k
    over the supervised steps (the last only, or all)."""
    g = torch.ones(width, dtype=torch.float64, device="cpu") / width ** 0.5
    # any h_1 gives the same ratio (the map is affine); a fixed one keeps runs reproducible
    h1 = torch.linspace(-1.0, 1.0, width, dtype=torch.float64, device="cpu").requires_grad_()
    h, loss = h1, (h1 * g).sum() if supervision == "many_to_many" else 0.0
    for _ in range(T - 1):
        h = a * h + 0.1
        if supervision == "many_to_many":
            loss = loss + (h * g).sum()
    if supervision == "many_to_one":
        loss = (h * g).sum()
    (grad,) = torch.autograd.grad(loss, h1)
    return float(grad.norm() / g.norm())


def linear_gradient_closed_form(a: float, T: int, supervision: str) -> float:
    """|a|^(T-1) for many-to-one; |Σ_{k=0}^{T-1} a^k| for many-to-many."""
    if supervision == "many_to_one":
        return abs(a) ** (T - 1)
    if a == 1.0:
        return float(T)
    return abs((1 - a ** T) / (1 - a))
