"""Marked recall: a long-range dependency whose lag the user controls.

Each sequence holds random symbols; one position carries a mark. The target is the marked
symbol, read out at the last step (many-to-one) or at every step from the mark on
(many-to-many). The lag between mark and end is fixed or geometric, which sets how the
information the input carries about the target decays with lag.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

IGNORE = -100  # target value cross_entropy skips


@dataclass
class RecallBatch:
    x: torch.Tensor  # (B, T, symbols + 1) one-hot symbols plus the mark channel
    tokens: torch.Tensor  # (B, T) symbol ids
    mark_pos: torch.Tensor  # (B,) index of the marked position
    target: torch.Tensor  # (B,) the marked symbol
    target_seq: torch.Tensor  # (B, T) the marked symbol from the mark on, IGNORE before it


@dataclass(frozen=True)
class MarkedRecall:
    symbols: int
    seq_len: int
    lag: int  # steps from the marked position to the last one (lag = seq_len marks the first)
    lag_spread: str = "fixed"  # "fixed" or "geometric" (mean lag = lag)

    @property
    def input_size(self) -> int:
        return self.symbols + 1

    def sample_lags(self, n: int, gen: torch.Generator) -> torch.Tensor:
        if self.lag_spread == "fixed":
            return torch.full((n,), min(self.lag, self.seq_len), dtype=torch.long, device="cpu")
        # Geometric on {1, 2, ...} with mean `lag`, folded into [1, seq_len] by resampling
        # the rare overshoots uniformly, so every lag has a positive probability.
        p = 1.0 / max(self.lag, 1)
        u = torch.rand(n, generator=gen, device="cpu").clamp_min(1e-12)
        lags = (torch.log(u) / math.log(1.0 - p + 1e-12)).floor().long() + 1
        over = lags > self.seq_len
        lags[over] = torch.randint(1, self.seq_len + 1, (int(over.sum()),), generator=gen,
                                   device="cpu")
        return lags

    def sample(self, n: int, gen: torch.Generator, device=None) -> RecallBatch:
        """Draw on the CPU from `gen` (so data are identical on every device), then move."""
        tokens = torch.randint(0, self.symbols, (n, self.seq_len), generator=gen, device="cpu")
        mark_pos = self.seq_len - self.sample_lags(n, gen)
        rows = torch.arange(n, device="cpu")
        x = torch.zeros(n, self.seq_len, self.symbols + 1, device="cpu")
        x.scatter_(2, tokens.unsqueeze(-1), 1.0)
        x[rows, mark_pos, self.symbols] = 1.0
        target = tokens[rows, mark_pos]
        steps = torch.arange(self.seq_len, device="cpu").unsqueeze(0)
        target_seq = torch.where(steps >= mark_pos.unsqueeze(1), target.unsqueeze(1),
                                 torch.full_like(tokens, IGNORE))
        return RecallBatch(*(t.to(device) if device is not None else t
                             for t in (x, tokens, mark_pos, target, target_seq)))
