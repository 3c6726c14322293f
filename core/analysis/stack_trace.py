"""Measurements on bracket-language models: accuracy, accuracy by length, the learned stack's
trace on one string, and how well the stack's height follows the true bracket depth.

The learned stack's expected height is sum_i occupancy_t[i] (core.models.stack_rnn); the true
depth comes from the exact pushdown automaton (core.tasks.dyck.run_stack). Their agreement is
Pearson's r = cov(height, depth) / (sd(height) sd(depth)) over every character read before the
string broke (after a break the true stack is frozen and the model is free to do anything).
"""
from __future__ import annotations

import torch

from core.models.stack_rnn import StackRNN
from core.tasks.dyck import IGNORE, DyckBatch, alphabet, encode, run_stack, state_names, validate

FORMS = ("per_step", "recognition")


def final_logits(logits: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The logits at each string's last character, (B, classes)."""
    return logits[torch.arange(logits.shape[0], device=logits.device), lengths - 1]


def sequence_loss(logits: torch.Tensor, batch: DyckBatch, form: str) -> torch.Tensor:
    if form == "recognition":
        return torch.nn.functional.cross_entropy(final_logits(logits, batch.lengths), batch.label)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                             batch.state.reshape(-1), ignore_index=IGNORE)


@torch.no_grad()
def correct_strings(model, batch: DyckBatch, form: str) -> torch.Tensor:
    """(B,) bool. Per-step form: every character's state right. Recognition: the label right."""
    logits = model(batch.x)
    if form == "recognition":
        return final_logits(logits, batch.lengths).argmax(-1) == batch.label
    right = (logits.argmax(-1) == batch.state) | (batch.state == IGNORE)
    return right.all(dim=1)


@torch.no_grad()
def recognised(model, batch: DyckBatch, form: str) -> torch.Tensor:
    """(B,) bool: the balanced / unbalanced verdict right. A per-step model's verdict is
    `balanced` when its state after the last character is `empty` (class 0)."""
    last = final_logits(model(batch.x), batch.lengths).argmax(-1)
    verdict = last == 1 if form == "recognition" else last == 0
    return verdict == batch.label.bool()


def accuracy(model, batch: DyckBatch, form: str) -> float:
    return float(correct_strings(model, batch, form).float().mean())


def accuracy_by_length(model, batch: DyckBatch, form: str, lengths: list[int]) -> list[float]:
    ok = correct_strings(model, batch, form)
    return [float(ok[batch.lengths == n].float().mean()) if bool((batch.lengths == n).any())
            else float("nan") for n in lengths]


def pearson(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.double() - a.double().mean(), b.double() - b.double().mean()
    denom = a.norm() * b.norm()
    return float((a * b).sum() / denom) if denom > 0 else float("nan")


def unbroken_mask(batch: DyckBatch, broken_class: int) -> torch.Tensor:
    return (batch.state != IGNORE) & (batch.state != broken_class)


@torch.no_grad()
def depth_correlation(model: StackRNN, batch: DyckBatch, broken_class: int) -> float:
    """Pearson r between the learned stack's expected height and the true depth."""
    _, trace = model(batch.x, trace=True)
    height = trace.occupancy.sum(-1)
    mask = unbroken_mask(batch, broken_class)
    return pearson(height[mask], batch.depth[mask])


@torch.no_grad()
def action_means(model: StackRNN, batch: DyckBatch, language: str) -> dict:
    """Mean push / pop / no-op probability on openers and on closers, before any break."""
    _, trace = model(batch.x, trace=True)
    n_open = len(alphabet(language)) // 2
    mask = unbroken_mask(batch, len(state_names(language)) - 1)
    is_opener = batch.x[..., :n_open].sum(-1) > 0
    out = {}
    for name, sel in (("opener", mask & is_opener), ("closer", mask & ~is_opener)):
        acts = trace.actions[sel]
        out[name] = {a: float(acts[:, i].mean()) if len(acts) else float("nan")
                     for i, a in enumerate(("push", "pop", "noop"))}
    return out


@torch.no_grad()
def trace_string(model: StackRNN, text: str, language: str, form: str = "per_step") -> dict:
    """Everything the trace figures need for one string, from the trained model.

    Raises ValueError (naming the problem) for characters outside the alphabet; an unbalanced
    string is traced like any other.
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
