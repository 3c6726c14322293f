"""Measurements on a uni/bidirectional tagger: accuracy, the backward half's share of the
output layer's input, the gradient reaching x_1 along each pass, and the states for a sequence.

Backward share. The output layer's pre-activation is z = W_f h_f + W_b h_b + b. Over held-out
positions, share = Var(W_b h_b) / (Var(W_f h_f) + Var(W_b h_b)), the variance summed over the
output units. A constant contribution acts as a bias and carries no information about the
input, so variance (not magnitude) is what counts; 0 means the backward pass is shut down.
The magnitude ratio E|W_b h_b| / (E|W_f h_f| + E|W_b h_b|) is reported beside it.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from core.models.birnn import DirectionalTagger, cell_step, zero_state
from core.tasks.direction import IGNORE, DirectionBatch


def task_loss(model: DirectionalTagger, batch: DirectionBatch, level: str,
              future_mask: torch.Tensor | None = None) -> torch.Tensor:
    if level == "sequence":
        return F.cross_entropy(model.sequence_logits(batch.x, future_mask), batch.target)
    logits = model(batch.x, future_mask)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch.target.reshape(-1),
                           ignore_index=IGNORE)


def sample_future_mask(shape, p: float, gen: torch.Generator, device) -> torch.Tensor | None:
    """Each position's future is hidden from the backward pass with probability p (drawn on
    the CPU from `gen`, so every device sees the same mask)."""
    if p <= 0:
        return None
    return (torch.rand(shape, generator=gen, device="cpu") < p).to(device)


def all_hidden(batch: DirectionBatch) -> torch.Tensor:
    return torch.ones(batch.tokens.shape, dtype=torch.bool, device=batch.x.device)


@torch.no_grad()
def _contributions(model: DirectionalTagger, batch: DirectionBatch, level: str, future_mask):
    """(N, classes) contributions of each half at the labelled positions only."""
    if level == "sequence":
        return model.sequence_contributions(batch.x, future_mask)
    from_f, from_b = model.contributions(*model.states(batch.x, future_mask))
    keep = batch.target != IGNORE
    return from_f[keep], from_b[keep]


@torch.no_grad()
def accuracy(model: DirectionalTagger, batch: DirectionBatch, level: str,
             future_mask: torch.Tensor | None = None) -> float:
    from_f, from_b = _contributions(model, batch, level, future_mask)
    target = batch.target if level == "sequence" else batch.target[batch.target != IGNORE]
    return float(((from_f + from_b).argmax(-1) == target).float().mean())


@torch.no_grad()
def backward_share(model: DirectionalTagger, batch: DirectionBatch, level: str,
                   future_mask: torch.Tensor | None = None) -> dict:
    """{"variance": share of output-layer pre-activation variance, "magnitude": |.| ratio,
    "forward_variance" / "backward_variance": Var(W_f h_f), Var(W_b h_b) summed over units}."""
    from_f, from_b = _contributions(model, batch, level, future_mask)
    from_f = from_f - model.head_f.bias  # the bias belongs to neither half
    var_f, var_b = float(from_f.var(0).sum()), float(from_b.var(0).sum())
    mag_f, mag_b = float(from_f.norm(dim=-1).mean()), float(from_b.norm(dim=-1).mean())
    return {"variance": var_b / (var_f + var_b) if var_f + var_b > 0 else 0.0,
            "magnitude": mag_b / (mag_f + mag_b) if mag_f + mag_b > 0 else 0.0,
            # Absolute sizes: when neither half carries information (a target nobody can
            # predict) the ratio compares two small noises, and these show it.
            "forward_variance": var_f, "backward_variance": var_b}


@dataclass
class GradientPaths:
    forward_hidden: list  # mean ||dL/dh_f[t]|| per position t (0 = first)
    backward_hidden: list  # mean ||dL/dh_b[t]||; empty for a unidirectional model
    forward_input: list  # mean ||dL/dx_t|| through the forward pass only
    backward_input: list  # mean ||dL/dx_t|| through the backward pass only
    x1_forward: float  # mean ||dL/dx_1|| through the forward pass (a path of T-1 steps)
    x1_backward: float  # ... through the backward pass (read at its last step)


def replay(model: DirectionalTagger, x_f: torch.Tensor, x_b: torch.Tensor):
    """Step-by-step passes sharing the fused weights; every state keeps its gradient. The two
    passes read separate copies of the input, so autograd splits dL/dx by path."""
    B, T, _ = x_f.shape
    forward, backward = [], [None] * T
    state = zero_state(model.forward_rnn, B, x_f.device, x_f.dtype)
    for t in range(T):
        h, state = cell_step(model.forward_rnn, x_f[:, t], state)
        h.retain_grad()
        forward.append(h)
    if model.bidirectional:
        state = zero_state(model.backward_rnn, B, x_b.device, x_b.dtype)
        for t in reversed(range(T)):
            h, state = cell_step(model.backward_rnn, x_b[:, t], state)
            h.retain_grad()
            backward[t] = h
    return forward, (backward if model.bidirectional else [])


def first_token_labels(tokens: torch.Tensor, classes: int) -> torch.Tensor:
    """A label that depends on the first token only: x_1, folded into the output classes."""
    return tokens[:, 0] % classes


def gradient_paths(model: DirectionalTagger, batch: DirectionBatch) -> GradientPaths:
    """Backpropagate a loss on a first-token label, read from the final states (h_f at T,
    h_b at 1), and report the gradient at every state and input along each pass."""
    x_f = batch.x.detach().clone().requires_grad_(True)
    x_b = batch.x.detach().clone().requires_grad_(True)
    forward, backward = replay(model, x_f, x_b)
    logits = model.head_f(forward[-1])
    if backward:
        logits = logits + model.head_b(backward[0])
    label = first_token_labels(batch.tokens, logits.shape[-1])
    F.cross_entropy(logits, label, reduction="sum").backward()
    model.zero_grad(set_to_none=True)

    def norms(states):
        return [float(h.grad.norm(dim=1).mean()) if h.grad is not None else 0.0 for h in states]

    input_f = x_f.grad.norm(dim=2).mean(0).tolist()
    if x_b.grad is None:  # a unidirectional model has no backward path
        return GradientPaths(norms(forward), [], input_f, [], input_f[0], 0.0)
    input_b = x_b.grad.norm(dim=2).mean(0).tolist()
    return GradientPaths(norms(forward), norms(backward), input_f, input_b,
                         input_f[0], input_b[0])


@torch.no_grad()
def sequence_view(model: DirectionalTagger, x: torch.Tensor) -> dict:
    """States, per-position contributions and predictions for one typed sequence (1, T, K)."""
    h_f, h_b = model.states(x)
    from_f, from_b = model.contributions(h_f, h_b)
    from_f_nobias = from_f - model.head_f.bias
    return {"forward_states": h_f[0].tolist(),
            "backward_states": h_b[0].tolist() if h_b is not None else [],
            "forward_contribution": from_f_nobias[0].norm(dim=-1).tolist(),
            "backward_contribution": from_b[0].norm(dim=-1).tolist(),
            "prediction": (from_f + from_b)[0].argmax(-1).tolist(),
            "sequence_prediction": int(model.sequence_logits(x)[0].argmax())}
