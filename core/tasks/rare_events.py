"""Rare events in a long noisy stream, and labels at three supervision densities.

The stream is Gaussian noise (σ = 1). An event is a short signature, an alternating
+a, -a, +a, ... of `SIGNATURE_LENGTH` steps, added to the noise; its label sits on the
signature's last step, the first moment a causal reader could know. Each step starts an
event with probability `rate` (events never overlap: a start inside another event's
signature is dropped, so the realised rate is slightly below `rate`; the batch reports it).

Supervision density: the same events labelled
- every step: y_t = 1 when an event ends at t;
- every k steps: at t = k, 2k, ..., y = 1 when an event ended in the last k steps;
- at the end only: one label at the last step, y = 1 when any event ended in the stream.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

SIGNATURE_LENGTH = 6
DENSITIES = ("every step", "every k", "end only")


def signature(amplitude: float) -> torch.Tensor:
    return amplitude * torch.tensor([(-1.0) ** j for j in range(SIGNATURE_LENGTH)], device="cpu")


@dataclass
class EventBatch:
    x: torch.Tensor  # (B, T, 1) the stream
    events: torch.Tensor  # (B, T) 1.0 where an event's signature ends

    @property
    def rate(self) -> float:
        return float(self.events.mean())

    def to(self, device) -> "EventBatch":
        return EventBatch(self.x.to(device), self.events.to(device))


def density_labels(events: torch.Tensor, density: str, every: int) -> tuple:
    """(targets, mask), both (B, T): the label at each supervised step and which steps are
    supervised (mask 1). Unsupervised steps carry target 0 and mask 0."""
    B, T = events.shape
    if density == "every step":
        return events, torch.ones_like(events)
    if density == "every k":
        ends = torch.arange(every - 1, T, every, device=events.device)
        if ends.numel() == 0 or int(ends[-1]) != T - 1:
            ends = torch.cat([ends, torch.tensor([T - 1], device=events.device)])
        starts = torch.cat([torch.zeros(1, dtype=torch.long, device=events.device), ends[:-1] + 1])
        running = torch.nn.functional.pad(events.cumsum(1), (1, 0))
        counts = running[:, ends + 1] - running[:, starts]
        targets, mask = torch.zeros_like(events), torch.zeros_like(events)
        targets[:, ends] = (counts > 0).float()
        mask[:, ends] = 1.0
        return targets, mask
    if density == "end only":
        targets, mask = torch.zeros_like(events), torch.zeros_like(events)
        targets[:, -1] = (events.sum(1) > 0).float()
        mask[:, -1] = 1.0
        return targets, mask
    raise ValueError(f"unknown supervision density {density!r}; expected {DENSITIES}")


@dataclass(frozen=True)
class RareEvents:
    length: int
    rate: float
    amplitude: float = 1.0

    def sample(self, n: int, gen: torch.Generator, device=None) -> EventBatch:
        """Draw on the CPU from `gen` (the same data on every device), then move."""
        T, m = self.length, SIGNATURE_LENGTH
        starts = torch.rand(n, T - m + 1, generator=gen, device="cpu") < self.rate
        starts = _drop_overlaps(starts, m)
        x = torch.randn(n, T, generator=gen, device="cpu")
        shape = signature(self.amplitude)
        events = torch.zeros(n, T, device="cpu")
        rows, cols = starts.nonzero(as_tuple=True)
        for j in range(m):
            x[rows, cols + j] += shape[j]
        events[rows, cols + m - 1] = 1.0
        batch = EventBatch(x.unsqueeze(-1), events)
        return batch.to(device) if device is not None else batch


def _drop_overlaps(starts: torch.Tensor, m: int) -> torch.Tensor:
    """Drop every start that has another start in the m - 1 steps before it, so no two
    signatures overlap (a cluster keeps its first start)."""
    running = torch.nn.functional.pad(starts.long().cumsum(1), (m, 0))
    before = running[:, m - 1:-1] - running[:, :-m]  # starts in [t - m + 1, t - 1]
    return starts & (before == 0)
