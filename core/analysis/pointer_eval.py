"""Held-out measurements of a trained pointer or vocab decoder: greedy accuracy per length,
the zeroed-output (uniform) check against T·log T, both set losses, and one decoded example
with its distribution at every step for the figures.
"""
from __future__ import annotations

import copy

import torch

from core.analysis.permutation import (decode_scores, hungarian_set_loss, log_factorial,
                                       sequence_nll, t_log_t)
from core.device import seeded_generator
from core.models.pointer import PointerNet
from core.tasks.permutation import PermutationTask


@torch.no_grad()
def evaluate_lengths(model: PointerNet, task: PermutationTask, lengths, per_length: int,
                     seed: int, masking: bool, device) -> dict[int, dict]:
    """Greedy free-running decoding scored per length on samples drawn from `seed`."""
    gen = seeded_generator(seed)
    scores = {}
    for n in lengths:
        b = task.sample(per_length, gen, n=n, device=device)
        out = model(b.x, task.out_len(n), masking=masking)
        scores[n] = decode_scores(out.choices, b.target, n, task.is_set)
    return scores


def mean_score(scores: dict[int, dict], key: str) -> float:
    return sum(s[key] for s in scores.values()) / len(scores)


@torch.no_grad()
def uniform_check(model: PointerNet, task: PermutationTask, T: int, seed: int, device) -> dict:
    """Loss per sequence at length T of the trained model, and of a copy whose output layer
    is zeroed (uniform output, masking off: T·log T in theory). For select the check runs on
    the identity mapping, so the decoder still makes T choices among T."""
    check_task = task if not task.is_set else PermutationTask("identity", T, T)
    b = check_task.sample(256, seeded_generator(seed), n=T, device=device)
    steps = check_task.out_len(T)
    zeroed = copy.deepcopy(model)
    for p in zeroed.output_layer():
        p.zero_()
    zero_loss = float(sequence_nll(zeroed(b.x, steps, feed=b.target, masking=False).log_probs,
                                   b.target).mean())
    return {"zeroed_decoder_loss": zero_loss, "t_log_t": t_log_t(T),
            "log_t_factorial": log_factorial(T), "check_task": check_task.name}


@torch.no_grad()
def set_losses(model: PointerNet, task: PermutationTask, seed: int, masking: bool,
               device) -> dict:
    """Both set losses per sequence on held-out data at the longest training length."""
    b = task.sample(256, seeded_generator(seed), n=task.max_len, device=device)
    free = model(b.x, task.set_size, masking=masking)
    forced = model(b.x, task.set_size, feed=b.target, masking=masking)
    matched, _ = hungarian_set_loss(free.log_probs, b.target)
    return {"hungarian": float(matched.mean()),
            "fixed": float(sequence_nll(forced.log_probs, b.target).mean())}


@torch.no_grad()
def trained_loss_at(model: PointerNet, task: PermutationTask, T: int, seed: int, masking: bool,
                    device) -> float:
    b = task.sample(256, seeded_generator(seed), n=T, device=device)
    out = model(b.x, task.out_len(T), feed=b.target, masking=masking)
    return float(sequence_nll(out.log_probs, b.target).mean())


@torch.no_grad()
def decode_example(model: PointerNet, task: PermutationTask, values: list[float],
                   masking: bool) -> dict:
    """Greedy decoding of one input, with the distribution at every step (figure data)."""
    device = next(model.parameters()).device
    x = torch.tensor(values, dtype=torch.float32, device=device).view(1, -1, 1)
    n = len(values)
    target = task.targets(x[..., 0])[0].tolist()
    out = model(x, task.out_len(n), masking=masking)
    return {"values": list(values), "target": target, "emitted": out.choices[0].tolist(),
            "probs": out.log_probs[0].exp().tolist(), "attention": out.attention[0].tolist(),
            "decoder": model.decoder, "is_set": task.is_set}
