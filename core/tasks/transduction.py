"""Synthetic transduction tasks: an input string of symbols maps to an output string.

The symbols are the letters a, b, c, ...; two special tokens start (SOS) and end (EOS) the
decoder's sequence. Every task's output has the input's length, so an exact-match accuracy
per input length shows where a model's memory gives out.

- copy: y = x, a diagonal alignment.
- reverse: y_t = x_(T-1-t), the anti-diagonal.
- sort: y = sorted(x), an alignment that depends on the content.
- interleave: the even positions, then the odd ones (x0 x2 x4 ... x1 x3 ...): two parallel
  stripes, so the alignment jumps back to the start halfway through.
- shuffle: any permutation of x is right; the target drawn is a uniformly random one. Many
  outputs are valid, so decoding has a diversity to match (not a choice on the main page,
  where accuracy means one right answer).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

SOS, EOS = 0, 1
FIRST_SYMBOL = 2  # token id of the letter "a"
TASKS = ("reverse", "copy", "sort", "interleave")
MULTI_VALID = "shuffle"


def target_positions(task: str, length: int) -> list[int] | None:
    """For position-only tasks, the input position each output step reads (the ideal
    alignment); None for `sort`, whose alignment depends on the content."""
    if task == "copy":
        return list(range(length))
    if task == "reverse":
        return list(range(length - 1, -1, -1))
    if task == "interleave":
        return list(range(0, length, 2)) + list(range(1, length, 2))
    if task in ("sort", MULTI_VALID):
        return None
    raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")


def transduce(task: str, tokens: torch.Tensor, gen: torch.Generator | None = None
              ) -> torch.Tensor:
    """The target for a batch of token ids (B, T) -> (B, T)."""
    if task == MULTI_VALID:
        order = torch.rand(tokens.shape, generator=gen,
                           device=gen.device if gen is not None else tokens.device)
        order = order.to(tokens.device).argsort(dim=1)
        return tokens.gather(1, order)
    if task == "sort":
        return tokens.sort(dim=1).values
    return tokens[:, target_positions(task, tokens.shape[1])]


def distinct_outputs(task: str, length: int, symbols: int) -> int:
    """How many different right answers the inputs of one length call for, with V = symbols.

    copy, reverse and interleave rearrange positions in a fixed way, a bijection of the V^T
    inputs, so every input has its own output: V^T. sort's output is the input's multiset in
    order, so inputs with the same multiset share it: the number of multisets of size T from V
    symbols, C(T+V-1, V-1) (stars and bars). shuffle accepts any permutation of the input,
    so what must be known is again the multiset: C(T+V-1, V-1).
    """
    target_positions(task, 1)  # raises on an unknown task
    if task in ("sort", MULTI_VALID):
        return math.comb(length + symbols - 1, symbols - 1)
    return symbols ** length


def bits_needed(task: str, length: int, symbols: int) -> float:
    """log2 of `distinct_outputs`: the bits the decoder must receive to be right on every
    input of this length. T·log2 V for copy/reverse/interleave, log2 C(T+V-1, V-1) for sort.

    It is a counting bound: a context vector that takes fewer than this many distinct values
    cannot give every input its right answer (two inputs needing different outputs would
    share a context). For uniformly drawn inputs it equals the output's entropy for the
    position tasks; for sort the entropy is smaller (the multisets are not equally likely).
    """
    return math.log2(distinct_outputs(task, length, symbols))


@dataclass
class TransductionBatch:
    source: torch.Tensor  # (B, T) symbol token ids
    target: torch.Tensor  # (B, T + 1) target token ids followed by EOS

    @property
    def decoder_input(self) -> torch.Tensor:
        """Teacher forcing: SOS then the target shifted right by one."""
        sos = torch.full_like(self.target[:, :1], SOS)
        return torch.cat([sos, self.target[:, :-1]], dim=1)


@dataclass(frozen=True)
class TransductionTask:
    task: str
    symbols: int  # alphabet size V (letters a, b, ...)

    def __post_init__(self) -> None:
        target_positions(self.task, 1)  # raises on an unknown task
        if not 2 <= self.symbols <= 26:
            raise ValueError(f"symbols must be between 2 and 26, got {self.symbols}")

    @property
    def vocab_size(self) -> int:
        return self.symbols + FIRST_SYMBOL

    @property
    def alphabet(self) -> str:
        return "".join(chr(ord("a") + i) for i in range(self.symbols))

    def sample(self, n: int, length: int, gen: torch.Generator, device=None) -> TransductionBatch:
        """n random inputs of one length (batches of one length need no padding)."""
        source = torch.randint(0, self.symbols, (n, length), generator=gen,
                               device=gen.device) + FIRST_SYMBOL
        eos = torch.full((n, 1), EOS, dtype=torch.long, device=source.device)
        target = torch.cat([transduce(self.task, source, gen), eos], dim=1)
        if device is not None:
            source, target = source.to(device), target.to(device)
        return TransductionBatch(source, target)

    def encode(self, text: str, min_len: int = 1, max_len: int = 64) -> list[int]:
        """Token ids for a typed input such as "abcd" or "a b c d" (spaces and commas are
        separators). Raises ValueError naming the bad token or the length problem."""
        letters = [ch for ch in text.strip().lower() if ch not in " ,;\t"]
        if not letters:
            raise ValueError("the input is empty; type some letters, e.g. "
                             f"{self.alphabet[:4]}")
        for pos, ch in enumerate(letters, start=1):
            if ch not in self.alphabet:
                raise ValueError(f"token {ch!r} at position {pos} is not in the vocabulary; "
                                 f"use the letters {', '.join(self.alphabet)}")
        if not min_len <= len(letters) <= max_len:
            raise ValueError(f"the input has {len(letters)} tokens; this model accepts "
                             f"lengths {min_len} to {max_len}")
        return [ord(ch) - ord("a") + FIRST_SYMBOL for ch in letters]

    def decode(self, ids) -> list[str]:
        """Token ids -> display strings (special tokens as <s> and </s>)."""
        names = []
        for i in (ids.tolist() if hasattr(ids, "tolist") else ids):
            names.append("<s>" if i == SOS else "</s>" if i == EOS
                         else chr(ord("a") + int(i) - FIRST_SYMBOL))
        return names

    def is_valid(self, source: list[int], output: list[int]) -> bool:
        """Output (without EOS) is a right answer for source."""
        if self.task == MULTI_VALID:
            return sorted(output) == sorted(source)
        return output == self.target_for(source)

    def target_for(self, ids: list[int]) -> list[int]:
        return transduce(self.task, torch.tensor([ids], device="cpu")).squeeze(0).tolist()
