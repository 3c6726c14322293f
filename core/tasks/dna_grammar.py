"""A synthetic regulatory grammar on DNA: positive only when motif A is followed by motif B.

Random bases (A, C, G, T) with two planted motifs. A sequence is positive when an occurrence
of motif A is followed, in that order, by an occurrence of motif B starting `gap_min` to
`gap_max` bases after A ends. Each motif has a consensus and a few mismatch-tolerant
positions: a planted copy keeps its core positions and, at each tolerant position, takes a
random other base with probability `mismatch_rate` (a binding site that tolerates variation
there). An occurrence is any window that matches the consensus at every core position.

Half the sequences are positive. The negatives are decoys a motif detector cannot tell
apart from positives by presence alone: both motifs in the wrong order (B then A), both in
order but too far apart, or only one of them. The label is what `grammar_holds` finds in
the bases, and negatives that the random background happens to turn positive are redrawn,
so every label is true of its sequence.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

BASES = "ACGT"
POSITIVE, REVERSED, TOO_FAR, A_ONLY, B_ONLY = range(5)
KIND_NAMES = ("A then B in the window", "B then A", "A then B too far apart", "A only",
              "B only")
REDRAW_ROUNDS = 50  # background that fakes the grammar is rare; redraw until none is left


@dataclass(frozen=True)
class Motif:
    consensus: tuple  # base index per position
    tolerant: tuple  # positions where a planted copy may differ

    @property
    def width(self) -> int:
        return len(self.consensus)

    @property
    def core(self) -> tuple:
        return tuple(j for j in range(self.width) if j not in self.tolerant)

    def text(self) -> str:
        """The consensus, lower case at tolerant positions (e.g. ACgTTa)."""
        return "".join(BASES[b].lower() if j in self.tolerant else BASES[b]
                       for j, b in enumerate(self.consensus))

    def frequencies(self, mismatch_rate: float) -> torch.Tensor:
        """The planted copies' base frequencies (width, 4): 1 on the consensus at core
        positions; 1 - r on the consensus and r/3 on each other base at tolerant ones."""
        freq = torch.zeros(self.width, 4, device="cpu")
        for j, b in enumerate(self.consensus):
            if j in self.tolerant:
                freq[j] = mismatch_rate / 3
                freq[j, b] = 1 - mismatch_rate
            else:
                freq[j, b] = 1.0
        return freq


@dataclass
class DnaBatch:
    x: torch.Tensor  # (B, L, 4) one-hot bases
    tokens: torch.Tensor  # (B, L) base indices
    label: torch.Tensor  # (B,) 1.0 when the grammar holds
    kind: torch.Tensor  # (B,) POSITIVE, REVERSED, TOO_FAR, A_ONLY or B_ONLY
    a_start: torch.Tensor  # (B,) where the planted A starts, -1 if none
    b_start: torch.Tensor  # (B,) where the planted B starts, -1 if none

    def to(self, device) -> "DnaBatch":
        return DnaBatch(*(v.to(device) for v in (self.x, self.tokens, self.label, self.kind,
                                                  self.a_start, self.b_start)))


def draw_motifs(width: int, gen: torch.Generator) -> tuple[Motif, Motif]:
    """Two consensus motifs with about a third of their positions tolerant, differing at
    more than half of their core positions so one is never mistaken for the other."""
    n_tolerant = max(1, width // 3) if width >= 4 else 0
    while True:
        motifs = []
        for _ in range(2):
            consensus = tuple(torch.randint(0, 4, (width,), generator=gen, device="cpu").tolist())
            tolerant = tuple(sorted(torch.randperm(width, generator=gen, device="cpu")
                                    [:n_tolerant].tolist()))
            motifs.append(Motif(consensus, tolerant))
        a, b = motifs
        shared_core = [j for j in a.core if j in b.core]
        differ = sum(a.consensus[j] != b.consensus[j] for j in shared_core)
        if differ * 2 > len(shared_core):
            return a, b


def occurrences(tokens: torch.Tensor, motif: Motif) -> torch.Tensor:
    """(B, L - w + 1) bool: the window starting at i matches the motif at every core position."""
    windows = tokens.unfold(1, motif.width, 1)  # (B, L - w + 1, w)
    core = list(motif.core)
    consensus = torch.tensor([motif.consensus[j] for j in core], device=tokens.device)
    return (windows[..., core] == consensus).all(-1)


def grammar_holds(tokens: torch.Tensor, a: Motif, b: Motif, gap_min: int,
                  gap_max: int) -> torch.Tensor:
    """(B,) bool: some occurrence of A is followed by an occurrence of B that starts between
    gap_min and gap_max bases after A ends (B's start - A's start - width in the window).
    Counted with a running sum of B's occurrences, so every window is one subtraction."""
    found_a, found_b = occurrences(tokens, a), occurrences(tokens, b)
    n = found_a.shape[1]
    running = torch.nn.functional.pad(found_b.long().cumsum(1), (1, 0))  # running[:, j] = #B < j
    start = torch.arange(n, device=tokens.device)
    lo = (start + a.width + gap_min).clamp(max=n)
    hi = (start + a.width + gap_max + 1).clamp(max=n)
    b_in_window = running[:, hi] - running[:, lo] > 0
    return (found_a & b_in_window).any(1)


@dataclass(frozen=True)
class DnaGrammar:
    length: int
    motif_a: Motif
    motif_b: Motif
    gap_min: int
    gap_max: int
    mismatch_rate: float

    @property
    def width(self) -> int:
        return self.motif_a.width

    @property
    def far_gaps(self) -> tuple[int, int] | None:
        """Gaps a "too far" decoy may use: beyond the window, still inside the sequence."""
        low, high = self.gap_max + 1, self.length - 2 * self.width
        return (low, high) if low <= high else None

    def sample(self, n: int, gen: torch.Generator, device=None) -> DnaBatch:
        """Draw on the CPU from `gen` (the same data on every device), then move."""
        kind = self._kinds(n, gen)
        tokens, a_start, b_start = self._plant(kind, gen)
        for _ in range(REDRAW_ROUNDS):
            holds = grammar_holds(tokens, self.motif_a, self.motif_b, self.gap_min,
                                  self.gap_max)
            fake = holds & (kind != POSITIVE)
            if not fake.any():
                break
            idx = fake.nonzero().squeeze(1)
            tokens[idx], a_start[idx], b_start[idx] = self._plant(kind[idx], gen)
        else:  # the last redraw is checked too: a label is always what the bases say
            holds = grammar_holds(tokens, self.motif_a, self.motif_b, self.gap_min,
                                  self.gap_max)
        label = holds.float()
        x = torch.zeros(n, self.length, 4, device="cpu")
        x.scatter_(2, tokens.unsqueeze(-1), 1.0)
        batch = DnaBatch(x, tokens, label, kind, a_start, b_start)
        return batch.to(device) if device is not None else batch

    def _kinds(self, n: int, gen: torch.Generator) -> torch.Tensor:
        """Half positive; of the negatives half reversed, a fifth too far (when the length
        allows it, else reversed) and the rest one motif only."""
        u = torch.rand(n, generator=gen, device="cpu")
        kind = torch.full((n,), B_ONLY, dtype=torch.long, device="cpu")
        kind[u < 0.925] = A_ONLY
        kind[u < 0.85] = TOO_FAR if self.far_gaps else REVERSED
        kind[u < 0.75] = REVERSED
        kind[u < 0.5] = POSITIVE
        return kind

    def _plant(self, kind: torch.Tensor, gen: torch.Generator):
        n, w = kind.shape[0], self.width
        tokens = torch.randint(0, 4, (n, self.length), generator=gen, device="cpu")
        gap = _uniform_int(n, self.gap_min, self.gap_max, gen)
        far = self.far_gaps
        if far is not None:
            gap = torch.where(kind == TOO_FAR, _uniform_int(n, far[0], far[1], gen), gap)
        pair = torch.isin(kind, torch.tensor([POSITIVE, REVERSED, TOO_FAR], device="cpu"))
        span = torch.where(pair, 2 * w + gap, torch.full_like(gap, w))
        first = (torch.rand(n, generator=gen, device="cpu") * (self.length - span + 1)).long()
        second = first + w + gap
        a_start = torch.where(kind == REVERSED, second, first)
        b_start = torch.where(kind == REVERSED, first, second)
        a_start[kind == B_ONLY] = -1
        b_start[kind == A_ONLY] = -1
        b_start[kind == B_ONLY] = first[kind == B_ONLY]
        for motif, starts in ((self.motif_a, a_start), (self.motif_b, b_start)):
            self._write(tokens, motif, starts, gen)
        return tokens, a_start, b_start

    def _write(self, tokens: torch.Tensor, motif: Motif, starts: torch.Tensor,
               gen: torch.Generator) -> None:
        """Write a copy of the motif at each start >= 0, mutating tolerant positions."""
        rows = (starts >= 0).nonzero().squeeze(1)
        if rows.numel() == 0:
            return
        copy = torch.tensor(motif.consensus, device="cpu").repeat(rows.numel(), 1)
        for j in motif.tolerant:
            mutate = torch.rand(rows.numel(), generator=gen, device="cpu") < self.mismatch_rate
            other = (copy[:, j] + torch.randint(1, 4, (rows.numel(),), generator=gen,
                                                device="cpu")) % 4
            copy[:, j] = torch.where(mutate, other, copy[:, j])
        cols = starts[rows].unsqueeze(1) + torch.arange(motif.width, device="cpu")
        tokens[rows.unsqueeze(1), cols] = copy


def _uniform_int(n: int, low: int, high: int, gen: torch.Generator) -> torch.Tensor:
    return torch.randint(low, high + 1, (n,), generator=gen, device="cpu")


def make_grammar(length: int, width: int, gap_min: int, gap_max: int, mismatch_rate: float,
                 gen: torch.Generator) -> DnaGrammar:
    a, b = draw_motifs(width, gen)
    return DnaGrammar(length, a, b, gap_min, gap_max, mismatch_rate)
