"""The DNA lab's probe: what the trained hybrid makes of one sequence — a probe drawn
from the task or one a user types — with the motif occurrences and the grammar's truth
beside it, so a reader can see whether the model responds where the motifs are."""
from __future__ import annotations

import re

import torch

from core.models.dna import saliency
from core.text_limits import DNA_LONGEST_SEQUENCE
from core.tasks.dna_grammar import BASES, DnaGrammar, grammar_holds, occurrences

MAX_TYPED_BASES = DNA_LONGEST_SEQUENCE  # the longest sequence the lab trains on
_SKIPPED = re.compile(r"\s+")  # line breaks and spaces, as a pasted FASTA body has


def parse_bases(text: str, shortest: int) -> torch.Tensor:
    """Base indices (A=0, C=1, G=2, T=3) of typed text, upper or lower case, whitespace
    ignored. Raises ValueError naming the problem: a character that is not a base (and
    where), too few bases for the model, or too many."""
    if len(text) > 4 * MAX_TYPED_BASES:
        raise ValueError(f"the text is {len(text)} characters; at most {MAX_TYPED_BASES} "
                         "bases are read")
    bases = _SKIPPED.sub("", text).upper()
    for i, ch in enumerate(bases):
        if ch not in BASES:
            shown = ch if ch.isprintable() else f"U+{ord(ch):04X}"
            raise ValueError(f"base {i + 1} is {shown!r}; only A, C, G and T are read")
    if len(bases) < shortest:
        raise ValueError(f"{len(bases)} bases; the model needs at least {shortest} (the "
                         "motif width)")
    if len(bases) > MAX_TYPED_BASES:
        raise ValueError(f"{len(bases)} bases; at most {MAX_TYPED_BASES} are read")
    return torch.tensor([BASES.index(ch) for ch in bases], device="cpu")


def read_sequence(model, task: DnaGrammar, tokens: torch.Tensor) -> dict:
    """The model's probability that the grammar holds, its saliency at every base, where
    motifs A and B occur, and whether the grammar really holds."""
    device = next(model.parameters()).device
    row = tokens.unsqueeze(0).to(device)
    x = torch.nn.functional.one_hot(row, 4).float()
    was_training = model.training
    with torch.no_grad():
        probability = float(torch.sigmoid(model.eval()(x)))
    model.train(was_training)
    return {"bases": "".join(BASES[b] for b in tokens.tolist()),
            "saliency": saliency(model, x)[0].tolist(), "probability": probability,
            "a_starts": occurrences(row, task.motif_a)[0].nonzero().squeeze(1).tolist(),
            "b_starts": occurrences(row, task.motif_b)[0].nonzero().squeeze(1).tolist(),
            "width": task.width, "grammar_holds": bool(grammar_holds(
                row, task.motif_a, task.motif_b, task.gap_min, task.gap_max)[0])}


def score_typed_dna(result, text: str, arm: str = "CNN → BiLSTM") -> dict:
    """Read a typed sequence with a model trained in `result` (the hybrid unless named).
    Raises ValueError with a message naming the problem."""
    models = result.artifacts.get("models") or {}
    task = result.artifacts.get("task")
    if arm not in models or task is None:
        raise ValueError("this result has no trained model to read with (a precomputed or "
                         "imported run carries none); press Train first")
    return read_sequence(models[arm], task, parse_bases(text, task.width))
