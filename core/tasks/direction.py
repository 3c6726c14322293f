"""Tasks that separate what a causal reader can know from what needs the future.

Every task draws sequences of K symbols (one-hot inputs) and labels them either at every
position ("position" tasks) or once per sequence ("sequence" tasks):

- lookahead:   the label at t is the symbol d steps ahead, x_{t+d}. A causal model has seen
               only x_{<=t}, which is independent of x_{t+d}, so its accuracy is at most 1/K.
- causal:      the label at t is the symbol d steps back, x_{t-d}: it depends only on the past.
- disambiguation: symbol 0 is an ambiguous word whose sense (0 or 1) is the parity of the
               symbol d steps later, like "bank" read as river or money from a later word;
               only the ambiguous positions are labelled. A causal model can only bet on the
               likelier parity: max(p, 1-p) with p = P(a symbol is even), which is 1/2 only
               for some K (see `DirectionTask.causal_bound`).
- palindrome:  one label per sequence: is it a palindrome? Negatives are palindromes with one
               mirrored pair broken, so every pair has to be checked.
- first_token: one label per sequence, the first symbol: a long path for the forward pass,
               a one-step path for the backward one.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

IGNORE = -100  # target value cross_entropy skips
TASKS = ("lookahead", "causal", "disambiguation", "palindrome", "first_token")
SEQUENCE_TASKS = ("palindrome", "first_token")
OFFSET_TASKS = ("lookahead", "causal", "disambiguation")  # the tasks whose label looks d away
MAX_TYPED_LENGTH = 64
AMBIGUOUS_RATE = 0.25  # disambiguation: share of positions holding the ambiguous symbol 0


def sense_zero_probability(symbols: int) -> float:
    """Disambiguation: P(a sampled symbol is even), i.e. P(sense = 0). Symbol 0 (even) has
    probability AMBIGUOUS_RATE; the rest is spread uniformly over 1..K-1, ⌊(K-1)/2⌋ of them
    even."""
    evens = (symbols - 1) // 2
    return AMBIGUOUS_RATE + (1.0 - AMBIGUOUS_RATE) * evens / (symbols - 1)


def causal_bound(task: str, symbols: int) -> float | None:
    """Best accuracy any causal model can reach (one that sees x_1..x_t when labelling t),
    for the tasks whose label is independent of that past; None for the others.

    Symbols at different positions are drawn independently, so a label that is a function
    of x_{t+d} alone (d ≥ 1) is independent of x_{≤t}, and the best causal rule is to
    always answer the label's most probable value:

    - lookahead: y_t = x_{t+d}, uniform over K symbols: 1/K.
    - disambiguation: y_t = x_{t+d} mod 2. x is the ambiguous 0 (even) with probability
      ρ = AMBIGUOUS_RATE and otherwise uniform on 1..K-1, of which ⌊(K-1)/2⌋ are even,
      so p = P(y = 0) = ρ + (1-ρ)·⌊(K-1)/2⌋/(K-1) and the bound is max(p, 1-p):
      5/8 for every odd K, 1/2 at K = 4, 0.55 at K = 6, 4/7 at K = 8.
    """
    if task == "lookahead":
        return 1.0 / symbols
    if task == "disambiguation" and symbols >= 3:
        return max(sense_zero_probability(symbols), 1.0 - sense_zero_probability(symbols))
    return None


# How each bound is written on the page: 1/K only where it is 1/K.
CAUSAL_BOUND_FORMULA = {"lookahead": "1/K", "disambiguation": "max(p, 1 − p)"}


@dataclass
class DirectionBatch:
    x: torch.Tensor  # (B, T, K) one-hot symbols
    tokens: torch.Tensor  # (B, T) symbol ids
    target: torch.Tensor  # position tasks: (B, T) with IGNORE where unlabelled; sequence: (B,)


@dataclass(frozen=True)
class DirectionTask:
    name: str
    symbols: int  # K
    seq_len: int  # T
    offset: int = 2  # d, for lookahead, causal and disambiguation

    def __post_init__(self) -> None:
        if self.name not in TASKS:
            raise ValueError(f"unknown task {self.name!r}; expected one of {', '.join(TASKS)}")
        if self.name in OFFSET_TASKS and self.offset >= self.seq_len:
            raise ValueError(f"offset d = {self.offset} leaves no labelled position in a "
                             f"sequence of length {self.seq_len}")
        if self.name == "disambiguation" and self.symbols < 3:
            raise ValueError("disambiguation needs at least 3 symbols (one ambiguous, and "
                             "later words of both parities)")

    @property
    def level(self) -> str:
        return "sequence" if self.name in SEQUENCE_TASKS else "position"

    @property
    def classes(self) -> int:
        return {"lookahead": self.symbols, "causal": self.symbols, "disambiguation": 2,
                "palindrome": 2, "first_token": self.symbols}[self.name]

    @property
    def causal_bound(self) -> float | None:
        """Best accuracy any causal model can reach on this task (see `causal_bound`)."""
        return causal_bound(self.name, self.symbols)

    def labels(self, tokens: torch.Tensor) -> torch.Tensor:
        """The targets for given symbol ids (B, T); the single source of truth for every task."""
        B, T = tokens.shape
        d = self.offset
        if self.name == "first_token":
            return tokens[:, 0].clone()
        if self.name == "palindrome":
            return (tokens == tokens.flip(1)).all(1).long()
        target = torch.full_like(tokens, IGNORE)
        if self.name == "lookahead":
            target[:, :T - d] = tokens[:, d:]
        elif self.name == "causal":
            target[:, d:] = tokens[:, :T - d]
        else:  # disambiguation: sense of symbol 0 = parity of the symbol d later
            ambiguous = tokens[:, :T - d] == 0
            sense = tokens[:, d:] % 2
            target[:, :T - d] = torch.where(ambiguous, sense, torch.full_like(sense, IGNORE))
        return target

    def sample_tokens(self, n: int, gen: torch.Generator) -> torch.Tensor:
        K, T = self.symbols, self.seq_len
        if self.name == "palindrome":
            half = torch.randint(0, K, (n, (T + 1) // 2), generator=gen, device="cpu")
            tokens = torch.cat([half, half[:, :T // 2].flip(1)], 1)
            # Break one mirrored pair in half the sequences: shift one symbol of a pair by a
            # non-zero amount, so the pair differs and the rest still mirrors.
            broken = torch.rand(n, generator=gen, device="cpu") < 0.5
            pos = torch.randint(0, T // 2, (n,), generator=gen, device="cpu")
            shift = torch.randint(1, K, (n,), generator=gen, device="cpu")
            rows = torch.arange(n, device="cpu")
            tokens[rows, pos] = torch.where(broken, (tokens[rows, pos] + shift) % K,
                                            tokens[rows, pos])
            return tokens
        if self.name == "disambiguation":
            # The ambiguous symbol 0 takes a quarter of the positions; the others share the rest.
            ambiguous = torch.rand(n, T, generator=gen, device="cpu") < AMBIGUOUS_RATE
            other = torch.randint(1, K, (n, T), generator=gen, device="cpu")
            return torch.where(ambiguous, torch.zeros_like(other), other)
        return torch.randint(0, K, (n, T), generator=gen, device="cpu")

    def encode(self, tokens: torch.Tensor, device=None) -> DirectionBatch:
        x = torch.nn.functional.one_hot(tokens, self.symbols).float()
        batch = DirectionBatch(x=x, tokens=tokens, target=self.labels(tokens))
        if device is not None:
            batch = DirectionBatch(*(t.to(device) for t in (batch.x, batch.tokens, batch.target)))
        return batch

    def sample(self, n: int, gen: torch.Generator, device=None) -> DirectionBatch:
        """Draw on the CPU from `gen` (the same data on every device), then move."""
        return self.encode(self.sample_tokens(n, gen), device)


def symbol_names(symbols: int) -> list[str]:
    return [chr(ord("a") + i) for i in range(symbols)]


def parse_sequence(text: str, symbols: int) -> list[int]:
    """Read a typed sequence: letters a, b, c, ... (or digits 0..K-1), spaces and commas ignored.

    Raises ValueError naming the problem: empty, too long, or a symbol outside the alphabet.
    """
    names = symbol_names(symbols)
    cleaned = [c for c in str(text).strip().lower() if c not in " ,;\t\n"]
    if not cleaned:
        raise ValueError("the sequence is empty: type symbols such as " + " ".join(names[:3]))
    if len(cleaned) < 2:
        raise ValueError("type at least 2 symbols, so that there is a past and a future")
    if len(cleaned) > MAX_TYPED_LENGTH:
        raise ValueError(f"the sequence has {len(cleaned)} symbols; at most "
                         f"{MAX_TYPED_LENGTH} are allowed")
    tokens = []
    for i, c in enumerate(cleaned):
        if c in names:
            tokens.append(names.index(c))
        elif c in "0123456789" and int(c) < symbols:  # not isdigit(): '²' is a digit
            tokens.append(int(c))
        else:
            allowed = ", ".join(names)
            raise ValueError(f"symbol {i + 1} is {c!r}, which is not in this alphabet of "
                             f"{symbols} symbols ({allowed}, or 0-{symbols - 1})")
    return tokens
