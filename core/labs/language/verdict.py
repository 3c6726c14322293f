"""The language lab's result in one sentence: held-out bits per character against the
n-gram the criterion names, and how word-like the samples are beside the n-gram's."""
from __future__ import annotations

from core.verdict import number, outcome, steps_text


def verdict(result) -> str:
    m = result.metrics
    n = m["success_ngram"]
    return (f"Criterion: fewer held-out bits per character than the {n}-gram and samples "
            f"more word-like than its samples: {number(m['held_out_bits'])} bits against "
            f"{number(m['ngram_bits'][str(n)])}, known words "
            f"{number(m['known_word_fraction'])} against {number(m['ngram_known_word_fraction'])} "
            f"{steps_text(result)} — {outcome(result)}.")
