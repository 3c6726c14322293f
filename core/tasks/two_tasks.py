"""Two tasks on the same symbol sequences, for multi-task learning.

The tagging task labels every step: y_t = 1 when the symbol repeats the one `lag` steps
before (x_t = x_(t-lag)), 0 otherwise and at the first `lag` steps. The sequence task gives
one label per sequence, and comes in two kinds:

- related: are there at least `threshold` repeats? It is a count of the tagging task's own
  labels, so a shared encoder that finds repeats serves both heads.
- unrelated: does symbol 0 occur more often than symbol 1? It needs symbol counts, which
  the tagging task never asks for, so the two heads compete for the shared encoder.

The threshold is the count that splits the exact Binomial(T - lag, 1/K) distribution of
repeats closest to half and half.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

RELATEDNESS = ("related", "unrelated")
TAG_LAG = 2


@dataclass
class TwoTaskBatch:
    x: torch.Tensor  # (B, T, K) one-hot symbols
    tokens: torch.Tensor  # (B, T)
    tags: torch.Tensor  # (B, T) long, 1 where the symbol repeats the one TAG_LAG before
    label: torch.Tensor  # (B,) long, the sequence task's class


def repeat_tags(tokens: torch.Tensor, lag: int = TAG_LAG) -> torch.Tensor:
    tags = torch.zeros_like(tokens)
    tags[:, lag:] = (tokens[:, lag:] == tokens[:, :-lag]).long()
    return tags


def balanced_threshold(trials: int, p: float) -> int:
    """The m for which P(N >= m) is closest to 1/2, N ~ Binomial(trials, p)."""
    pmf = [math.comb(trials, k) * p ** k * (1 - p) ** (trials - k) for k in range(trials + 1)]
    tail = [sum(pmf[m:]) for m in range(trials + 2)]
    return min(range(trials + 2), key=lambda m: abs(tail[m] - 0.5))


@dataclass(frozen=True)
class TwoTasks:
    symbols: int
    length: int
    relatedness: str = "related"

    @property
    def threshold(self) -> int:
        return balanced_threshold(self.length - TAG_LAG, 1.0 / self.symbols)

    def sequence_label(self, tokens: torch.Tensor, tags: torch.Tensor) -> torch.Tensor:
        if self.relatedness == "related":
            return (tags.sum(1) >= self.threshold).long()
        if self.relatedness == "unrelated":
            return ((tokens == 0).sum(1) > (tokens == 1).sum(1)).long()
        raise ValueError(f"unknown relatedness {self.relatedness!r}; expected {RELATEDNESS}")

    def sample(self, n: int, gen: torch.Generator, device=None) -> TwoTaskBatch:
        """Draw on the CPU from `gen` (the same data on every device), then move."""
        tokens = torch.randint(0, self.symbols, (n, self.length), generator=gen, device="cpu")
        x = torch.zeros(n, self.length, self.symbols, device="cpu")
        x.scatter_(2, tokens.unsqueeze(-1), 1.0)
        tags = repeat_tags(tokens)
        batch = TwoTaskBatch(x, tokens, tags, self.sequence_label(tokens, tags))
        if device is not None:
            batch = TwoTaskBatch(*(v.to(device) for v in (batch.x, batch.tokens, batch.tags,
                                                          batch.label)))
        return batch
