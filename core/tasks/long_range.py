"""Long-range tasks whose lag the user sets: marked recall and delayed copy.

Both read symbols one per step (one-hot, plus a mark channel) and need the input from `lag`
steps back:

- recall: one position carries a mark; at the last step the target is the marked symbol.
  The lag of each sequence (steps from the mark to the last position) is drawn uniformly
  from 1 to `lag`, so one test set measures accuracy against lag.
- copy: at every step t >= lag the target is the symbol seen at t - lag (the whole sequence
  delayed by `lag`); there is no mark. Every output needs the input exactly `lag` back, and
  a recurrence must hold `lag` symbols in flight at once.

The lag of a target is the distance T - t in the figures: the number of steps between the
position it is read at and the position that holds the answer.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

IGNORE = -100  # target value cross_entropy skips
TASKS = ("recall", "copy")


@dataclass
class LongRangeBatch:
    x: torch.Tensor  # (B, T, symbols + 1) one-hot symbols plus the mark channel
    tokens: torch.Tensor  # (B, T) symbol ids
    target: torch.Tensor  # (B, T) the symbol to output at each step, IGNORE where none
    lags: torch.Tensor  # (B, T) the lag each target needs, 0 where there is no target
    source: torch.Tensor  # (B, T) position holding each target's answer, -1 where none


@dataclass(frozen=True)
class LongRangeTask:
    task: str
    symbols: int
    seq_len: int
    lag: int  # recall: the longest lag (lags uniform in 1..lag); copy: the lag of every output

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; expected one of {TASKS}")
        if not 1 <= self.lag < self.seq_len:
            raise ValueError(f"lag ({self.lag}) must be from 1 to T - 1 ({self.seq_len - 1})")

    @property
    def input_size(self) -> int:
        return self.symbols + 1

    def sample(self, n: int, gen: torch.Generator, device=None) -> LongRangeBatch:
        """Draw on the CPU from `gen` (so data are identical on every device), then move."""
        T = self.seq_len
        tokens = torch.randint(0, self.symbols, (n, T), generator=gen, device="cpu")
        x = torch.zeros(n, T, self.symbols + 1, device="cpu")
        x.scatter_(2, tokens.unsqueeze(-1), 1.0)
        target = torch.full((n, T), IGNORE, dtype=torch.long, device="cpu")
        lags = torch.zeros(n, T, dtype=torch.long, device="cpu")
        source = torch.full((n, T), -1, dtype=torch.long, device="cpu")
        if self.task == "recall":
            lag = torch.randint(1, self.lag + 1, (n,), generator=gen, device="cpu")
            mark = (T - 1) - lag
            rows = torch.arange(n, device="cpu")
            x[rows, mark, self.symbols] = 1.0
            target[:, -1] = tokens[rows, mark]
            lags[:, -1] = lag
            source[:, -1] = mark
        else:
            target[:, self.lag:] = tokens[:, :T - self.lag]
            lags[:, self.lag:] = self.lag
            source[:, self.lag:] = torch.arange(T - self.lag, device="cpu")
        return LongRangeBatch(*(t.to(device) if device is not None else t
                                for t in (x, tokens, target, lags, source)))
