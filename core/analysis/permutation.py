"""Measurements on decoded position lists: validity, exact and per-token accuracy, the
uniform-decoder baselines, and an order-free (Hungarian-matched) loss for set targets.

Baselines (natural logs, per sequence of T decoding steps over T choices):
- a decoder whose logits are all zero is uniform, so its loss is Σ_t log T = T·log T;
- a uniform decoder that masks already-chosen positions pays log(T - t + 1) at step t, so
  Σ_t log(T - t + 1) = log T!, the entropy of a uniformly random permutation.
For a set of k targets listed in a uniformly random order, the best any model can do under a
fixed-order loss is log k! (it cannot know which order the data will pick); a matched loss
can reach 0.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment


def t_log_t(T: int) -> float:
    """Loss of T steps of a uniform choice among T options: T·log T nats."""
    return T * math.log(T)


def log_factorial(T: int) -> float:
    """log T! = Σ_{t=1}^{T} log t: the masked uniform decoder's loss over a permutation."""
    return math.lgamma(T + 1)


def sequence_nll(log_probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """-Σ_t log p_t(target_t) per sequence, (B,). Targets beyond the output width (a
    position the vocabulary cannot name) cost +inf."""
    width = log_probs.shape[-1]
    picked = log_probs.gather(-1, target.clamp_max(width - 1).unsqueeze(-1)).squeeze(-1)
    picked = torch.where(target < width, picked, torch.full_like(picked, float("inf")).neg())
    return -picked.sum(1)


def hungarian_set_loss(log_probs: torch.Tensor, target: torch.Tensor,
                       floor: float = -30.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Order-free loss for set targets: min over assignments σ of -Σ_t log p_t(target_σ(t)).

    The cost matrix C[t, j] = -log p_t(target_j) is solved per example by the Hungarian
    method (scipy's linear_sum_assignment, exact in polynomial time instead of k! orders).
    Log-probabilities are floored at `floor` so masked (-inf) entries stay finite.
    Returns the per-example loss (B,), differentiable, and the matched targets (B, K).
    """
    B, K, _ = log_probs.shape
    lp = log_probs.clamp_min(floor)
    # cand[b, t, j] = log p_t(target_j)
    cand = lp.gather(-1, target.unsqueeze(1).expand(B, K, K))
    cost = (-cand).detach().cpu().numpy()
    order = np.empty((B, K), dtype=np.int64)
    for b in range(B):
        rows, cols = linear_sum_assignment(cost[b])
        order[b, rows] = cols
    order_t = torch.as_tensor(order, device=log_probs.device)
    matched = target.gather(1, order_t)
    loss = -cand.gather(-1, order_t.unsqueeze(-1)).squeeze(-1).sum(1)
    return loss, matched


def is_valid_permutation(seq, n: int) -> bool:
    """True when seq lists each of 0..n-1 exactly once."""
    return sorted(int(s) for s in seq) == list(range(n))


def is_valid_selection(seq, n: int) -> bool:
    """True when seq holds distinct positions inside the input."""
    seq = [int(s) for s in seq]
    return len(set(seq)) == len(seq) and all(0 <= s < n for s in seq)


def decode_scores(choices: torch.Tensor, target: torch.Tensor, n: int, is_set: bool) -> dict:
    """Exact match, token accuracy and validity for greedy choices (B, K) against targets.

    Lists: exact = the whole list equals the target; token = fraction of steps right.
    Sets: exact = the emitted positions equal the target set (no repeats); token = fraction
    of emitted positions that belong to the set. Valid = a permutation of 0..n-1 (lists) or
    distinct in-range positions (sets).
    """
    ch = choices.detach().cpu()
    tg = target.detach().cpu()
    if is_set:
        in_set = (ch.unsqueeze(-1) == tg.unsqueeze(1)).any(-1)
        valid = torch.tensor([is_valid_selection(row, n) for row in ch.tolist()],
                             dtype=torch.bool, device="cpu")
        exact = valid & in_set.all(1)
        token = in_set.float().mean(1)
    else:
        valid = torch.tensor([is_valid_permutation(row, n) for row in ch.tolist()],
                             dtype=torch.bool, device="cpu")
        exact = (ch == tg).all(1)
        token = (ch == tg).float().mean(1)
    return {"accuracy": float(exact.float().mean()), "token_accuracy": float(token.mean()),
            "valid_rate": float(valid.float().mean())}
