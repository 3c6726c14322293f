"""Where the model beats an n-gram and where it does not, character by character, and by how
far back the innermost open bracket or quote was opened (Karpathy, Johnson & Fei-Fei 2015
trace the LSTM's advantage over n-grams to such long-range structure).

Along a probe text x_0 .. x_(T-1), the model's logits after reading x_(t-1) predict x_t:

    model bits   b_m(t) = -log2 softmax(logits_(t-1))[x_t]
    n-gram bits  b_n(t) = -log2 P_ngram(x_t | x_(t-n+1) .. x_(t-1))
    difference   d(t) = b_m(t) - b_n(t)        (negative: the model is better there)

for t = 1 .. T-1 (x_0 has no model prediction: nothing has been read yet).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis.text_hypotheses import innermost_open

DISTANCE_EDGES = (1, 2, 4, 8, 16, 32, 64)  # buckets [1,2), [2,4), ... [64, inf)
NOTHING_OPEN = "nothing open"


@dataclass
class LossDifference:
    positions: np.ndarray  # (T-1,) t = 1 .. T-1: the position of the character predicted
    model_bits: np.ndarray  # (T-1,) b_m(t)
    ngram_bits: np.ndarray  # (T-1,) b_n(t)
    diff: np.ndarray  # (T-1,) b_m(t) - b_n(t)

    def along_text(self) -> np.ndarray:
        """The difference as one value per character of the text, 0 at position 0 (not
        predicted), for colouring the probe text."""
        return np.concatenate([[0.0], self.diff])


def model_bits(logits, ids) -> np.ndarray:
    """b_m(t) for t = 1 .. T-1 from logits (T, V): log-softmax by the log-sum-exp, in bits."""
    z = np.asarray(logits, dtype=float)
    ids = np.asarray(ids, dtype=int)
    if z.ndim != 2 or z.shape[0] != ids.size:
        raise ValueError(f"the logits have shape {z.shape}; expected one row per character "
                         f"of the {ids.size}-character text")
    if ids.size and (ids.min() < 0 or ids.max() >= z.shape[1]):
        raise ValueError(f"a character id is outside the vocabulary of {z.shape[1]}")
    z = z[:-1]
    top = z.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(z - top).sum(axis=1))
    return (log_norm - z[np.arange(len(z)), ids[1:]]) / np.log(2.0)


def loss_difference(logits, ids, ngram) -> LossDifference:
    """d(t) = b_m(t) - b_n(t) along the text. `ngram.log2_prob(ids)` gives log2 P for
    positions 1 .. T-1, or for all T positions (then position 0 is dropped: not compared)."""
    ids = np.asarray(list(ids), dtype=int)
    if ids.size < 2:
        raise ValueError("the probe text needs at least two characters: the model predicts "
                         "each character from the ones before it")
    bits = model_bits(logits, ids)
    log2_prob = np.asarray(ngram.log2_prob(ids), dtype=float)
    if log2_prob.shape == ids.shape:
        log2_prob = log2_prob[1:]  # position 0 scored too (by the unigram): not compared
    if log2_prob.shape != (ids.size - 1,):
        raise ValueError(f"the n-gram scored {log2_prob.size} positions of a "
                         f"{ids.size}-character text")
    if not np.isfinite(log2_prob).all():
        raise ValueError("the n-gram gives probability 0 to a character of the probe text: "
                         "its smoothing must give every character some probability")
    ngram_bits = -log2_prob
    return LossDifference(np.arange(1, ids.size), bits, ngram_bits, bits - ngram_bits)


def _bucket_label(lo: int, hi: float) -> str:
    if hi == np.inf:
        return f"{lo}+"
    return str(lo) if hi == lo + 1 else f"{lo}–{int(hi) - 1}"


def distance_to_open(text: str) -> np.ndarray:
    """For t = 1 .. T-1: t minus the position of the innermost bracket or quote still open
    once x_(t-1) is read (what the model knows when it predicts x_t); -1 where none is."""
    opener = innermost_open(text)[:-1]
    t = np.arange(1, len(text))
    return np.where(opener >= 0, t - opener, -1)


def by_distance(result: LossDifference, text: str, edges=DISTANCE_EDGES) -> list:
    """The differences grouped by distance to the innermost open bracket or quote: one row
    per bucket [lo, hi) (and one for positions with nothing open), with the count, the sum
    and mean of d(t), and the mean model and n-gram bits (means None where a bucket is
    empty). Returns a list of dicts, nothing-open first, then by increasing distance."""
    if len(text) != result.positions.size + 1:
        raise ValueError("the text and the loss difference are of different lengths")
    distance = distance_to_open(text)
    bounds = list(zip(edges, list(edges[1:]) + [np.inf]))
    groups = [(NOTHING_OPEN, distance < 0)]
    groups += [(_bucket_label(lo, hi), (distance >= lo) & (distance < hi)) for lo, hi in bounds]
    rows = []
    for label, mask in groups:
        count = int(mask.sum())
        mean = (lambda v: float(v[mask].mean()) if count else None)
        rows.append({"bucket": label, "count": count, "sum": float(result.diff[mask].sum()),
                     "mean": mean(result.diff), "model_bits": mean(result.model_bits),
                     "ngram_bits": mean(result.ngram_bits)})
    return rows


def summary(result: LossDifference) -> dict:
    """Mean bits per character of each and the share of characters where the model is
    better (d < 0)."""
    return {"model_bits_per_char": float(result.model_bits.mean()),
            "ngram_bits_per_char": float(result.ngram_bits.mean()),
            "mean_difference": float(result.diff.mean()),
            "model_better_fraction": float((result.diff < 0).mean())}
