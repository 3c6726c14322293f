"""Held-out measurements of a trained pointer or vocab decoder: greedy accuracy per length,
the zeroed-output (uniform) check against T·log T, both set losses, and one decoded example
with its distribution at every step for the figures.

Every function draws its inputs from a generator the caller passes (a named stream of the
run's seed, core.device.stream), never from the process-wide one.
"""
from __future__ import annotations

import copy

import torch

from core.analysis.permutation import (decode_scores, hungarian_set_loss, log_factorial,
                                       sequence_nll, t_log_t)
from core.models.pointer import PointerNet
from core.tasks.permutation import PermutationBatch, PermutationTask

REFERENCE_BATCH = 256  # sequences each single-length check (losses, uniform check) scores


def sample_by_length(task: PermutationTask, lengths, per_length: int, gen: torch.Generator,
                     device) -> dict[int, PermutationBatch]:
    """A fixed held-out set: `per_length` inputs of every length, drawn once from `gen`."""
    return {n: task.sample(per_length, gen, n=n, device=device) for n in lengths}


@torch.no_grad()
def score_batches(model: PointerNet, task: PermutationTask, batches: dict[int, PermutationBatch],
                  masking: bool, should_stop=None) -> dict[int, dict]:
    """Greedy free-running decoding scored per length (decode_scores). Checks `should_stop`
    between lengths and returns the lengths scored so far when it holds."""
    scores = {}
    for n, b in batches.items():
        if should_stop is not None and should_stop():
            break
        out = model(b.x, task.out_len(n), masking=masking)
        scores[n] = decode_scores(out.choices, b.target, n, task.is_set)
    return scores


@torch.no_grad()
def evaluate_lengths(model: PointerNet, task: PermutationTask, lengths, per_length: int,
                     gen: torch.Generator, masking: bool, device,
                     should_stop=None) -> dict[int, dict]:
    """Like score_batches on fresh samples, drawn one length at a time (a large test set is
    never held in memory at once); stops between lengths when `should_stop()` holds."""
    scores = {}
    for n in lengths:
        if should_stop is not None and should_stop():
            break
        scores.update(score_batches(model, task, {n: task.sample(per_length, gen, n=n,
                                                                 device=device)}, masking))
    return scores


def mean_score(scores: dict[int, dict], key: str) -> float | None:
    """Mean of one score over lengths (each length weighs the same); None when no length
    was scored (a stopped run, or no length in the range asked for)."""
    if not scores:
        return None
    return sum(s[key] for s in scores.values()) / len(scores)


@torch.no_grad()
def uniform_check(model: PointerNet, task: PermutationTask, T: int, gen: torch.Generator,
                  device) -> dict:
    """Loss per sequence at length T of a copy of the model whose output layer is zeroed
    (every logit 0, masking off: T·log T in theory, whatever the other weights). For select
    the check runs on the identity mapping, so the decoder still makes T choices among T."""
    check_task = task if not task.is_set else PermutationTask("identity", T, T)
    b = check_task.sample(REFERENCE_BATCH, gen, n=T, device=device)
    steps = check_task.out_len(T)
    zeroed = copy.deepcopy(model)
    for p in zeroed.output_layer():
        p.zero_()
    zero_loss = float(sequence_nll(zeroed(b.x, steps, feed=b.target, masking=False).log_probs,
                                   b.target).mean())
    return {"zeroed_decoder_loss": zero_loss, "t_log_t": t_log_t(T),
            "log_t_factorial": log_factorial(T), "check_task": check_task.name}


@torch.no_grad()
def set_losses(model: PointerNet, task: PermutationTask, gen: torch.Generator, masking: bool,
               device) -> dict:
    """Both set losses per sequence on held-out data at the longest training length: the
    Hungarian-matched loss of free decoding and the teacher-forced fixed-order loss."""
    b = task.sample(REFERENCE_BATCH, gen, n=task.max_len, device=device)
    free = model(b.x, task.set_size, masking=masking)
    forced = model(b.x, task.set_size, feed=b.target, masking=masking)
    matched, _ = hungarian_set_loss(free.log_probs, b.target)
    return {"hungarian": float(matched.mean()),
            "fixed": float(sequence_nll(forced.log_probs, b.target).mean())}


@torch.no_grad()
def trained_loss_at(model: PointerNet, task: PermutationTask, T: int, gen: torch.Generator,
                    masking: bool, device) -> float:
    """Teacher-forced loss per sequence at length T (comparable with T·log T)."""
    b = task.sample(REFERENCE_BATCH, gen, n=T, device=device)
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
