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

    @property
    def geometric_ratio(self) -> float:
        """q = P(lag > d | lag > d - 1) of the geometric spread before folding (mean lag 1/(1-q));
        the 1e-12 keeps log(q) finite when the mean lag is 1."""
        return 1.0 - 1.0 / max(self.lag, 1) + 1e-12

    def sample_lags(self, n: int, gen: torch.Generator) -> torch.Tensor:
        if self.lag_spread == "fixed":
            return torch.full((n,), min(self.lag, self.seq_len), dtype=torch.long, device="cpu")
        # Geometric on {1, 2, ...} with mean `lag`, folded into [1, seq_len] by resampling
        # the rare overshoots uniformly, so every lag has a positive probability.
        u = torch.rand(n, generator=gen, device="cpu").clamp_min(1e-12)
        lags = (torch.log(u) / math.log(self.geometric_ratio)).floor().long() + 1
        over = lags > self.seq_len
        lags[over] = torch.randint(1, self.seq_len + 1, (int(over.sum()),), generator=gen,
                                   device="cpu")
        return lags

    def lag_probabilities(self) -> list:
        """Exact P(lag = d) for d = 1..seq_len, index 0 = lag 1, for `sample_lags`.

        fixed: all mass on min(lag, T). geometric: with u uniform, floor(ln u / ln q) + 1 = d
        has P = (1-q)·q^(d-1) (the clamp of u at 1e-12 only moves mass beyond d ≈ 27.6/(-ln q),
        and less than 1e-12 of it); the overshoots, P(lag > T) = q^T, are redrawn uniformly
        on 1..T, adding q^T/T to every lag.
        """
        T = self.seq_len
        if self.lag_spread == "fixed":
            return [1.0 if d == min(self.lag, T) else 0.0 for d in range(1, T + 1)]
        q = self.geometric_ratio
        return [(1.0 - q) * q ** (d - 1) + q ** T / T for d in range(1, T + 1)]

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
