"""Bracket languages: Dyck-1 `()`, Dyck-2 `()[]` and a^n b^n, with hard negatives.

All three are context-free: recognising them needs unbounded memory, which a pushdown
automaton (a finite controller plus a stack) has and a finite automaton does not. The exact
algorithm below is that automaton, run on a real Python list; it is the reference every
learned trace is compared with.

Per-step form: after each character the target is the automaton's state, one of
`empty` (balanced so far), `top <opener>` (the type on top of the stack), or `broken` (a closer
met an empty stack or the wrong opener, or an `a` came after a `b`; absorbing). Recognition
form: one label at the last character, balanced or not. A string is balanced exactly when its
final per-step state is `empty`.

Negatives are hard: same length as a positive, and built from one by a minimal edit, so that
counting characters alone cannot reject them (a prefix violation `)(`, an opener left unmatched
at the end, a closer of the wrong type).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

IGNORE = -100  # target value cross_entropy skips (padding)
LANGUAGES = ("dyck1", "dyck2", "anbn")
PAIRS = {"dyck1": {"(": ")"}, "dyck2": {"(": ")", "[": "]"}, "anbn": {"a": "b"}}
NEGATIVE_KINDS = ("prefix_violation", "unmatched_opener", "wrong_closer")


def alphabet(language: str) -> str:
    pairs = PAIRS[language]
    return "".join(pairs) + "".join(pairs.values())


def state_names(language: str) -> list[str]:
    """Class names of the per-step target: empty, one `top X` per opener, broken."""
    return ["empty"] + [f"top {o}" for o in PAIRS[language]] + ["broken"]


@dataclass
class StackReference:
    """What the exact pushdown automaton did after each character."""
    depth: list  # stack height after each character (frozen at the break)
    state: list  # per-step class index into state_names(language)
    balanced: bool


def validate(text: str, language: str) -> str:
    """Return `text` with spaces removed, or raise ValueError naming the bad characters."""
    if language not in PAIRS:
        raise ValueError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
    cleaned = "".join(text.split())
    if not cleaned:
        raise ValueError("the string is empty; type some brackets, e.g. " +
                         {"dyck1": "(()())", "dyck2": "([()])[]", "anbn": "aaabbb"}[language])
    allowed = alphabet(language)
    bad = sorted({c for c in cleaned if c not in allowed})
    if bad:
        which = (f"character {bad[0]!r} is" if len(bad) == 1 else
                 f"characters {' '.join(repr(c) for c in bad)} are")
        raise ValueError(f"{which} not in the {language} alphabet {' '.join(allowed)}")
    return cleaned


def run_stack(text: str, language: str) -> StackReference:
    """The exact algorithm: push openers, pop on the matching closer, break on anything else."""
    pairs = PAIRS[language]
    openers = list(pairs)
    stack: list[str] = []
    broken, seen_closer = False, False
    depth, state = [], []
    for ch in text:
        if not broken:
            if ch in pairs:
                # a^n b^n is Dyck-1 with one extra finite-state rule: no `a` after a `b`.
                if language == "anbn" and seen_closer:
                    broken = True
                else:
                    stack.append(ch)
            elif stack and pairs[stack[-1]] == ch:
                stack.pop()
                seen_closer = True
            else:
                broken = True
        depth.append(len(stack))
        if broken:
            state.append(len(openers) + 1)
        else:
            state.append(0 if not stack else 1 + openers.index(stack[-1]))
    return StackReference(depth=depth, state=state, balanced=not broken and not stack)


def random_balanced(length: int, language: str, gen: torch.Generator,
                    open_prob: float = 0.5) -> str:
    """A balanced string of even `length`: a random walk on the depth that opens with
    probability `open_prob` unless forced (depth 0 must open; depth = remaining steps must
    close). Above 1/2 the strings nest deeper."""
    if language == "anbn":
        return "a" * (length // 2) + "b" * (length // 2)
    openers = list(PAIRS[language])
    coins = torch.rand(length, generator=gen, device=gen.device).tolist()
    kinds = torch.randint(0, len(openers), (length,), generator=gen, device=gen.device).tolist()
    stack, out = [], []
    for i in range(length):
        remaining = length - i
        if not stack or (len(stack) < remaining and coins[i] < open_prob):
            stack.append(openers[kinds[i]])
            out.append(stack[-1])
        else:
            out.append(PAIRS[language][stack.pop()])
    return "".join(out)


def make_negative(positive: str, kind: str, language: str, gen: torch.Generator) -> str:
    """A small edit of a balanced string into an unbalanced one of the same length."""
    pairs = PAIRS[language]
    closers = {c: o for o, c in pairs.items()}
    chars = list(positive)
    pick = lambda n: int(torch.randint(0, n, (1,), generator=gen, device=gen.device))  # noqa: E731
    if language == "anbn":
        n = len(chars) // 2
        if kind == "prefix_violation":  # one `b` too many: a^(n-1) b^(n+1)
            return "a" * (n - 1) + "b" * (n + 1)
        if kind == "unmatched_opener":  # one `a` too many: a^(n+1) b^(n-1)
            return "a" * (n + 1) + "b" * (n - 1)
        # a^(n-1) b a b^(n-1): the counts match but an `a` follows a `b`.
        return "a" * (n - 1) + "ba" + "b" * (n - 1)
    if kind == "prefix_violation":
        # Swap an opener that starts at depth 0 with its matching closer: `(..)` -> `)..(`.
        depth, starts = 0, []
        for i, c in enumerate(chars):
            if c in pairs and depth == 0:
                starts.append(i)
            depth += 1 if c in pairs else -1
        i = starts[pick(len(starts))]
        depth, j = 0, i
        for j in range(i, len(chars)):
            depth += 1 if chars[j] in pairs else -1
            if depth == 0:
                break
        chars[i], chars[j] = chars[j], chars[i]
        return "".join(chars)
    if kind == "unmatched_opener":
        # Drop the last pair and insert two openers where the depth is 0 (between top-level
        # groups or at the end): every prefix stays legal, but two openers are never closed.
        shorter = random_balanced(len(chars) - 2, language, gen) if len(chars) > 2 else ""
        depth, spots = 0, [0]
        for i, c in enumerate(shorter):
            depth += 1 if c in pairs else -1
            if depth == 0:
                spots.append(i + 1)
        first = spots[pick(len(spots))]
        later = [p for p in spots if p >= first]
        second = later[pick(len(later))]
        openers = list(pairs)
        a, b = openers[pick(len(openers))], openers[pick(len(openers))]
        return shorter[:first] + a + shorter[first:second] + b + shorter[second:]
    # wrong_closer: a closer of another type (Dyck-2 only).
    spots = [i for i, c in enumerate(chars) if c in closers]
    i = spots[pick(len(spots))]
    others = [c for c in closers if c != chars[i]]
    chars[i] = others[pick(len(others))]
    return "".join(chars)


def negative_kinds(language: str) -> tuple[str, ...]:
    return NEGATIVE_KINDS if language != "dyck1" else NEGATIVE_KINDS[:2]


def sample_strings(n: int, lengths: list[int], language: str, gen: torch.Generator,
                   negative_fraction: float = 0.5, open_prob: float = 0.5) -> list[str]:
    """`n` strings with lengths drawn from `lengths` (even), a fraction of them hard negatives
    (kinds in turn, each checked against the exact algorithm)."""
    kinds = negative_kinds(language)
    picks = torch.randint(0, len(lengths), (n,), generator=gen, device=gen.device).tolist()
    negs = (torch.rand(n, generator=gen, device=gen.device) < negative_fraction).tolist()
    out = []
    for i in range(n):
        s = random_balanced(lengths[picks[i]], language, gen, open_prob)
        if negs[i]:
            s = make_negative(s, kinds[i % len(kinds)], language, gen)
        out.append(s)
    return out


@dataclass
class DyckBatch:
    x: torch.Tensor  # (B, T, vocab) one-hot, zeros after each string's end
    state: torch.Tensor  # (B, T) per-step class, IGNORE after the end
    label: torch.Tensor  # (B,) 1 = balanced
    depth: torch.Tensor  # (B, T) true stack depth, 0 after the end
    lengths: torch.Tensor  # (B,)


def encode(strings: list[str], language: str, device=None) -> DyckBatch:
    """One-hot inputs and the exact algorithm's targets, padded to the longest string.

    The targets come from the exact algorithm, string by string; the tensors are filled in
    a few whole-batch operations (a batch is built every training step, for every model),
    on the CPU and moved to `device` (CPU when None) once, so no tensor lands on whatever
    default device the process has set."""
    chars = alphabet(language)
    B, T = len(strings), max(len(s) for s in strings)
    sizes = [len(s) for s in strings]
    refs = [run_stack(s, language) for s in strings]
    flat = "".join(strings)
    index = {c: i for i, c in enumerate(chars)}
    codes = torch.tensor([index[c] for c in flat], dtype=torch.long, device="cpu")
    lengths = torch.tensor(sizes, dtype=torch.long, device="cpu")
    within = torch.arange(T, device="cpu") < lengths.unsqueeze(1)  # (B, T), row-major = flat
    x = torch.zeros(B, T, len(chars), device="cpu")
    x[within] = torch.nn.functional.one_hot(codes, len(chars)).float()
    state = torch.full((B, T), IGNORE, dtype=torch.long, device="cpu")
    state[within] = torch.tensor([k for r in refs for k in r.state], dtype=torch.long,
                                 device="cpu")
    depth = torch.zeros(B, T, device="cpu")
    depth[within] = torch.tensor([d for r in refs for d in r.depth], dtype=torch.float32,
                                 device="cpu")
    label = torch.tensor([int(r.balanced) for r in refs], dtype=torch.long, device="cpu")
    device = device if device is not None else "cpu"
    return DyckBatch(x=x.to(device), state=state.to(device), label=label.to(device),
                     depth=depth.to(device), lengths=lengths.to(device))


def batch_slice(batch: DyckBatch, start: int, stop: int) -> DyckBatch:
    """Strings start..stop-1 of a batch (the padding stays as wide as the whole batch)."""
    return DyckBatch(*(t[start:stop] for t in (batch.x, batch.state, batch.label,
                                               batch.depth, batch.lengths)))
