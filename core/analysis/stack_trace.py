"""Measurements on bracket-language models: accuracy (overall and by length), the learned
stack's trace on one string, how closely its actions follow the exact stack's, and how well
its height follows the true bracket depth.

The learned stack's expected height is sum_i occupancy_t[i] (core.models.stack_rnn); the true
depth comes from the exact pushdown automaton (core.tasks.dyck.run_stack). Their agreement is
Pearson's r = cov(height, depth) / (sd(height) sd(depth)) over every character read before the
string broke (after a break the true stack is frozen and the model is free to do anything).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from core.models.stack_rnn import StackRNN
from core.tasks.dyck import (IGNORE, DyckBatch, alphabet, batch_slice, encode, run_stack,
                             state_names, validate)

FORMS = ("per_step", "recognition")
ACTIONS = ("push", "pop", "noop")


def final_logits(logits: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The logits at each string's last character, (B, classes)."""
    return logits[torch.arange(logits.shape[0], device=logits.device), lengths - 1]


def sequence_loss(logits: torch.Tensor, batch: DyckBatch, form: str) -> torch.Tensor:
    if form == "recognition":
        return torch.nn.functional.cross_entropy(final_logits(logits, batch.lengths), batch.label)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                             batch.state.reshape(-1), ignore_index=IGNORE)


def verdicts(logits: torch.Tensor, batch: DyckBatch, form: str):
    """From one forward pass, two (B,) bools per string: fully right (per-step form: every
    character's state; recognition: the label) and the balanced-or-not verdict right (a
    per-step model says `balanced` when its state after the last character is `empty`)."""
    last = final_logits(logits, batch.lengths).argmax(-1)
    if form == "recognition":
        correct = last == batch.label
        return correct, correct
    right = (logits.argmax(-1) == batch.state) | (batch.state == IGNORE)
    return right.all(dim=1), (last == 0) == batch.label.bool()


@torch.no_grad()
def correct_strings(model, batch: DyckBatch, form: str) -> torch.Tensor:
    return verdicts(model(batch.x), batch, form)[0]


def fraction_by_length(right: torch.Tensor, lengths: torch.Tensor, wanted: list[int]) -> list:
    """The mean of `right` over the strings of each wanted length (None where there are none)."""
    return [float(right[lengths == n].float().mean()) if bool((lengths == n).any()) else None
            for n in wanted]


def pearson(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.double() - a.double().mean(), b.double() - b.double().mean()
    denom = a.norm() * b.norm()
    return float((a * b).sum() / denom) if denom > 0 else float("nan")


def unbroken_mask(batch: DyckBatch, broken_class: int) -> torch.Tensor:
    return (batch.state != IGNORE) & (batch.state != broken_class)


@dataclass
class Scores:
    """Every string of a set scored by one forward pass of the model (chunked)."""
    correct: torch.Tensor  # (B,) every per-step state (or the label) right
    recognised: torch.Tensor  # (B,) the balanced-or-not verdict right
    depth_correlation: float | None = None  # stack models only
    action_means: dict | None = None  # stack models only: {opener|closer: {action: mean}}


@torch.no_grad()
def score_strings(model, batch: DyckBatch, form: str, language: str, should_stop=None,
                  chunk: int = 256) -> Scores | None:
    """Score a set in chunks of `chunk` strings, asking `should_stop()` between chunks (a
    stack model over a thousand long strings takes seconds); None when told to stop. For a
    stack model the same passes give the height-depth correlation and the mean action on
    openers and closers before any break."""
    is_stack = isinstance(model, StackRNN)
    broken, n_open = len(state_names(language)) - 1, len(alphabet(language)) // 2
    correct, recog, heights, depths = [], [], [], []
    sums = {side: torch.zeros(3, dtype=torch.float64, device="cpu")
            for side in ("opener", "closer")}
    counts = {"opener": 0, "closer": 0}
    for start in range(0, int(batch.lengths.shape[0]), chunk):
        if should_stop is not None and should_stop():
            return None
        part = batch_slice(batch, start, start + chunk)
        logits, trace = model(part.x, trace=True) if is_stack else (model(part.x), None)
        ok, rec = verdicts(logits, part, form)
        correct.append(ok.cpu())
        recog.append(rec.cpu())
        if trace is None:
            continue
        mask = unbroken_mask(part, broken)
        heights.append(trace.occupancy.sum(-1)[mask].cpu())
        depths.append(part.depth[mask].cpu())
        is_opener = part.x[..., :n_open].sum(-1) > 0
        for side, sel in (("opener", mask & is_opener), ("closer", mask & ~is_opener)):
            sums[side] += trace.actions[sel].double().sum(0).cpu()
            counts[side] += int(sel.sum())
    scores = Scores(torch.cat(correct), torch.cat(recog))
    if is_stack:
        scores.depth_correlation = pearson(torch.cat(heights), torch.cat(depths))
        scores.action_means = {side: {a: float(sums[side][i] / counts[side]) if counts[side]
                                      else None for i, a in enumerate(ACTIONS)}
                               for side in sums}
    return scores


def depth_correlation(model: StackRNN, batch: DyckBatch, broken_class: int) -> float:
    """Pearson r between the learned stack's expected height and the true depth."""
    with torch.no_grad():
        _, trace = model(batch.x, trace=True)
    mask = unbroken_mask(batch, broken_class)
    return pearson(trace.occupancy.sum(-1)[mask], batch.depth[mask])


def exact_actions(text: str, language: str) -> list[str]:
    """What the exact stack does on each character: push, pop, or halt once the string has
    broken (nothing is defined after that). No character of these languages leaves a working
    stack untouched, so `no-op` never appears before a break."""
    out, prev = [], 0
    ref = run_stack(text, language)
    broken = len(state_names(language)) - 1
    for depth, state in zip(ref.depth, ref.state):
        out.append("halt" if state == broken else "push" if depth > prev else "pop")
        prev = depth
    return out


def action_agreement(actions: list, exact: list[str]) -> float | None:
    """Mean probability the model gives the exact stack's action, over the characters before
    any break: 1 when every push and pop is certain and right, 1/3 for a uniform choice."""
    index = {"push": 0, "pop": 1}
    probs = [a[index[e]] for a, e in zip(actions, exact) if e in index]
    return sum(probs) / len(probs) if probs else None


@torch.no_grad()
def live_trace(model: StackRNN, text: str, language: str) -> dict:
    """The small trace the headline figure redraws as training goes: the model's push / pop /
    no-op probabilities per character of `text`, the exact stack's actions, their agreement."""
    batch = encode([text], language, device=next(model.parameters()).device)
    _, trace = model(batch.x, trace=True)
    actions = [[round(p, 4) for p in row] for row in trace.actions[0].tolist()]
    exact = exact_actions(text, language)
    return {"text": text, "actions": actions, "exact": exact,
            "agreement": action_agreement(actions, exact)}


@torch.no_grad()
def trace_string(model: StackRNN, text: str, language: str, form: str = "per_step") -> dict:
    """Everything the trace figures need for one string, from the trained model.

    Raises ValueError (naming the problem) for characters outside the alphabet or a string
    longer than the model's stack; an unbalanced string is traced like any other.
    """
    text = validate(text, language)
    if len(text) > model.capacity:
        raise ValueError(f"the string has {len(text)} characters; this model's stack holds "
                         f"{model.capacity}, so type at most {model.capacity}")
    batch = encode([text], language, device=next(model.parameters()).device)
    logits, trace = model(batch.x, trace=True)
    ref = run_stack(text, language)
    names = state_names(language)
    occupancy = trace.occupancy[0].T  # (D, T): cell from the top x time
    rows = max(max(ref.depth) + 2, int((occupancy > 0.05).any(1).nonzero().max()) + 2
               if bool((occupancy > 0.05).any()) else 2)
    out = {
        "text": text, "chars": list(text),
        "actions": trace.actions[0].tolist(),
        "exact": exact_actions(text, language),
        "occupancy": occupancy[:rows].tolist(),
        "values": trace.values[0, :, :rows].permute(1, 0, 2).tolist(),  # (D, T, width)
        "expected_height": trace.occupancy[0].sum(-1).tolist(),
        "true_depth": ref.depth, "true_state": [names[s] for s in ref.state],
        "balanced": ref.balanced,
    }
    if form == "recognition":
        prob = torch.softmax(logits[0], -1)[:, 1]
        out["predicted_balanced_prob"] = prob.tolist()
    else:
        out["predicted_state"] = [names[int(i)] for i in logits[0].argmax(-1)]
    return out
