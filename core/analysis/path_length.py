"""Path length, measured: how much gradient from a loss at the last position reaches the
input at each earlier position, how fast it decays with distance, and how accurate a model
is at each lag.

For a recurrence the input at position t reaches the loss at T only through the T - t steps
between them, so ||dL/dx_t|| carries a product of T - t Jacobians and decays geometrically,
roughly as e^(-lambda (T - t)). Self-attention connects every position to the last in one
hop, so the same norm does not fall with distance (lambda near 0). The decay rate is fitted
by least squares to ln ||dL/dx_t|| against T - t.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from core.tasks.long_range import IGNORE

EVAL_CHUNK = 256  # sequences per forward pass when evaluating (bounds attention's T x T memory)


def tagging_loss(logits: torch.Tensor, target: torch.Tensor,
                 reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy over every position that has a target."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                           ignore_index=IGNORE, reduction=reduction)


def gradient_by_distance(model, x: torch.Tensor, target: torch.Tensor) -> list[float]:
    """Mean over the batch of ||dL/dx_t|| where L is the loss at the last position only,
    listed by distance d = T - t (index 0 is the last position itself)."""
    x = x.detach().clone().requires_grad_(True)
    logits = model(x)
    loss = F.cross_entropy(logits[:, -1], target[:, -1], reduction="sum")
    (grad,) = torch.autograd.grad(loss, x)
    norms = grad.norm(dim=2).mean(0)
    return norms.flip(0).tolist()


def fit_decay_rate(norms_by_distance, skip_first: bool = True) -> float | None:
    """lambda in ||g(d)|| ~ C e^(-lambda d): minus the least-squares slope of ln ||g|| on d.

    Distance 0 is left out by default: there the loss's own position has a direct path in
    every model, so it says nothing about distance. Norms that underflowed to zero are left
    out too (their logarithm is not finite); None when fewer than two points remain."""
    values = np.asarray(norms_by_distance, dtype=float)
    d = np.arange(len(values), dtype=float)
    keep = np.isfinite(values) & (values > 0)
    if skip_first:
        keep[:1] = False
    if keep.sum() < 2:
        return None
    slope = np.polyfit(d[keep], np.log(values[keep]), 1)[0]
    return float(-slope)


def gradient_reach(norms_by_distance) -> float | None:
    """Mean gradient over the farthest quarter of distances divided by the mean over the
    nearest quarter (distance 0 left out): 1 is no loss with distance, 1e-10 is none left."""
    values = np.asarray(norms_by_distance[1:], dtype=float)
    if len(values) < 4:
        return None
    q = len(values) // 4
    near, far = values[:q].mean(), values[-q:].mean()
    return float(far / near) if near > 0 else None


@torch.no_grad()
def predictions(model, x: torch.Tensor) -> torch.Tensor:
    """argmax labels (B, T), in chunks so attention's score matrices stay small."""
    return torch.cat([model(x[i:i + EVAL_CHUNK]).argmax(-1) for i in range(0, len(x),
                                                                            EVAL_CHUNK)])


def accuracy(model, batch, predicted: torch.Tensor | None = None) -> float:
    """Fraction of targets predicted right (recall: the last step; copy: every step >= lag).
    `predicted` (from `predictions`) saves a second pass when it is already at hand."""
    has = batch.target != IGNORE
    predicted = predictions(model, batch.x) if predicted is None else predicted
    return float(((predicted == batch.target) & has).sum() / has.sum())


def accuracy_by_lag(model, batch, buckets: int = 12,
                    predicted: torch.Tensor | None = None) -> dict:
    """Accuracy per lag, the lags grouped into at most `buckets` runs of consecutive values:
    {"lag": mean lag of each group, "accuracy": [...], "count": targets in it}."""
    has = batch.target != IGNORE
    predicted = predictions(model, batch.x) if predicted is None else predicted
    right = ((predicted == batch.target) & has)[has].float().cpu()
    lags = batch.lags[has].cpu()
    values = sorted(set(lags.tolist()))
    width = max(1, math.ceil(len(values) / buckets))
    out = {"lag": [], "accuracy": [], "count": []}
    for i in range(0, len(values), width):
        group = torch.tensor(values[i:i + width])
        inside = torch.isin(lags, group)
        if inside.any():
            out["lag"].append(float(lags[inside].float().mean()))
            out["accuracy"].append(float(right[inside].mean()))
            out["count"].append(int(inside.sum()))
    return out


def pointing_attention(maps: list, batch) -> dict:
    """How straight the attention model looks back to the answer: for every layer and head,
    the mean weight that a position with a target puts on the position holding its answer.
    Returns the best head, its mean weight, and every head's."""
    has = batch.target != IGNORE
    b, t = has.nonzero(as_tuple=True)
    s = batch.source[b, t]
    weights = [[float(layer[b, h, t, s].mean()) for h in range(layer.shape[1])]
               for layer in maps]
    best_layer, best_head = max(((li, hi) for li in range(len(weights))
                                 for hi in range(len(weights[li]))),
                                key=lambda lh: weights[lh[0]][lh[1]])
    return {"layer": best_layer, "head": best_head,
            "weight": weights[best_layer][best_head], "by_head": weights}
