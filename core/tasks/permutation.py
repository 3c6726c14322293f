"""Tasks whose answer is a list of positions in the input: sort, identity, top-k selection.

- `sort`: output the indices of the input numbers in ascending order of value.
- `identity`: the monotonic mapping, at step t output position t (values are irrelevant).
- `select`: output the positions of the k largest numbers as an unordered set. The data
  lists the set in a fresh random order for every example, because a set has no order of
  its own; a fixed-order loss has to chase that arbitrary order, a matched loss does not.

Every batch has one length n (drawn from the training range), so no padding is needed and
accuracy can be read off per length. Values are uniform in [0, 1]; ties have probability 0.
"""
from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass

import torch

TASKS = ("sort", "identity", "select")
MAX_TYPED_LENGTH = 40


@dataclass
class PermutationBatch:
    x: torch.Tensor  # (B, n, 1) the input numbers
    target: torch.Tensor  # (B, K) position indices, in the order a fixed-order loss uses
    length: int  # n, the input length
    is_set: bool  # True when the target's order carries no meaning (select)


@dataclass(frozen=True)
class PermutationTask:
    name: str
    min_len: int
    max_len: int
    set_size: int = 3

    def __post_init__(self):
        if self.name not in TASKS:
            raise ValueError(f"unknown task {self.name!r}; expected one of {TASKS}")
        if not 2 <= self.min_len <= self.max_len:
            raise ValueError(f"need 2 <= min_len <= max_len, got {self.min_len}, {self.max_len}")
        if self.name == "select" and not 1 <= self.set_size < self.min_len:
            raise ValueError(f"set size {self.set_size} must be below the shortest input "
                             f"length {self.min_len}")

    @property
    def input_size(self) -> int:
        return 1

    @property
    def is_set(self) -> bool:
        return self.name == "select"

    def out_len(self, n: int) -> int:
        """Decoding steps for an input of length n."""
        return self.set_size if self.is_set else n

    def targets(self, values: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
        """Target positions for values (B, n). For `select` the set is shuffled per row
        with `gen` (kept in descending order of value when gen is None)."""
        B, n = values.shape
        if self.name == "sort":
            return values.argsort(dim=1, stable=True)
        if self.name == "identity":
            return torch.arange(n, device=values.device).expand(B, n).clone()
        top = values.topk(self.set_size, dim=1).indices
        if gen is None:
            return top
        order = torch.rand(B, self.set_size, generator=gen, device="cpu").argsort(dim=1)
        order = order.to(values.device)
        return top.gather(1, order)

    def sample(self, batch: int, gen: torch.Generator, n: int | None = None,
               device=None) -> PermutationBatch:
        """A batch of one length: n if given, else uniform in [min_len, max_len]. Drawn on the
        CPU from `gen`, so the data are the same on every device, then moved."""
        if n is None:
            n = int(torch.randint(self.min_len, self.max_len + 1, (1,), generator=gen,
                                  device="cpu"))
        values = torch.rand(batch, n, generator=gen, device="cpu")
        target = self.targets(values, gen)
        return PermutationBatch(values.unsqueeze(-1).to(device), target.to(device), n,
                                self.is_set)


def parse_numbers(text: str, min_len: int = 2, max_len: int = MAX_TYPED_LENGTH) -> list[float]:
    """Parse a typed list such as "0.3, 0.9 0.1" or "[5, 2, 8]". Raises ValueError naming the
    problem: an entry that is not a number, a non-finite value, or a bad length."""
    cleaned = text.strip().strip("[]()")
    parts = [p for p in cleaned.replace(",", " ").replace(";", " ").split() if p]
    if not parts:
        raise ValueError("type some numbers, separated by commas or spaces, e.g. 0.4, 0.1, 0.7")
    values = []
    for i, part in enumerate(parts, start=1):
        try:
            value = float(part)
        except ValueError:
            raise ValueError(f"entry {i} ({reprlib.repr(part)}) is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"entry {i} ({reprlib.repr(part)}) is not a finite number")
        values.append(value)
    if len(values) < min_len:
        raise ValueError(f"need at least {min_len} numbers, got {len(values)}")
    if len(values) > max_len:
        raise ValueError(f"at most {max_len} numbers, got {len(values)}")
    return values


def scale_to_unit(values: list[float]) -> list[float]:
    """Min-max scale to [0, 1], the range the models trained on; order is unchanged, so the
    sort and top-k answers are the same as for the raw numbers."""
    lo, hi = min(values), max(values)
    if hi == lo:
        return [0.5 for _ in values]
    if math.isinf(hi - lo):  # e.g. -1e308 and 1e308: halve first so the range is finite
        return scale_to_unit([v / 2 for v in values])
    return [(v - lo) / (hi - lo) for v in values]
