"""Character n-gram models counted exactly: the baselines a language model must beat.

Smoothing (plain add-alpha on the (n-1)-character context):

    P(c | context) = (count(context, c) + alpha) / (count(context) + alpha * V)

with counts taken over the training ids. The first n-1 positions of a scored text have
fewer than n-1 characters before them; position i (1 <= i < n-1) is scored with the
(i)-character context it has, by the same formula on the counts of that shorter order, so
every position >= 1 gets a probability and position 0 (no context) is never scored. An
unseen context gives the uniform 1/V. n = 1 is the add-alpha unigram.
"""
from __future__ import annotations

import numpy as np


class NGramModel:
    def __init__(self, n: int, vocab_size: int, alpha: float = 0.1) -> None:
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        if alpha <= 0:
            raise ValueError(f"alpha must be positive, got {alpha}")
        self.n, self.vocab_size, self.alpha = int(n), int(vocab_size), float(alpha)
        # per order k (context length k = 0..n-1): sorted codes of (context, char) and of
        # context, with their counts
        self._joint: list[tuple[np.ndarray, np.ndarray]] = []
        self._context: list[tuple[np.ndarray, np.ndarray]] = []

    def _windows(self, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """For every position p >= k: the code of ids[p-k:p] (context) and of ids[p-k:p+1]."""
        ctx = np.zeros(len(ids) - k, dtype=np.int64)
        for j in range(k):
            ctx = ctx * self.vocab_size + ids[j:len(ids) - k + j]
        joint = ctx * self.vocab_size + ids[k:]
        return ctx, joint

    def fit(self, ids) -> "NGramModel":
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError("ids must lie in [0, vocab_size)")
        self._joint, self._context = [], []
        for k in range(self.n):
            if len(ids) <= k:
                empty = (np.zeros(0, np.int64), np.zeros(0, np.int64))
                self._joint.append(empty)
                self._context.append(empty)
                continue
            ctx, joint = self._windows(ids, k)
            self._joint.append(np.unique(joint, return_counts=True))
            self._context.append(np.unique(ctx, return_counts=True))
        return self

    @staticmethod
    def _lookup(table: tuple[np.ndarray, np.ndarray], codes: np.ndarray) -> np.ndarray:
        keys, counts = table
        if len(keys) == 0:
            return np.zeros(len(codes), dtype=np.float64)
        at = np.clip(np.searchsorted(keys, codes), 0, len(keys) - 1)
        return np.where(keys[at] == codes, counts[at], 0).astype(np.float64)

    def log2_prob(self, ids) -> np.ndarray:
        """log2 P(ids[p] | the up to n-1 ids before it) for p = 1..len-1 (entry p-1)."""
        ids = np.asarray(ids, dtype=np.int64)
        out = np.zeros(max(len(ids) - 1, 0), dtype=np.float64)
        V, a = self.vocab_size, self.alpha
        for k in range(min(self.n, len(ids))):
            # positions whose context has exactly length k: p = k when k < n-1, else all p >= k
            ctx, joint = self._windows(ids, k)
            positions = np.arange(k, len(ids))
            if k < self.n - 1:
                keep = positions == k
            else:
                keep = positions >= max(k, 1)
            keep &= positions >= 1
            if not keep.any():
                continue
            num = self._lookup(self._joint[k], joint[keep]) + a
            den = self._lookup(self._context[k], ctx[keep]) if k else \
                np.full(int(keep.sum()), float(self._context[0][1].sum()
                                               if len(self._context[0][1]) else 0))
            out[positions[keep] - 1] = np.log2(num / (den + a * V))
        return out

    def bits_per_char(self, ids) -> float:
        """Mean -log2 P over positions >= 1 (the cross-entropy in bits per character)."""
        logp = self.log2_prob(ids)
        return float(-logp.mean()) if len(logp) else float("nan")

    def next_distribution(self, context) -> np.ndarray:
        """P(c | the last n-1 ids of `context`) for every c (shorter context if it is)."""
        context = list(context)[-(self.n - 1):] if self.n > 1 else []
        k = len(context)
        code = 0
        for c in context:
            code = code * self.vocab_size + int(c)
        joint = code * self.vocab_size + np.arange(self.vocab_size, dtype=np.int64)
        num = self._lookup(self._joint[k], joint) + self.alpha
        den = (self._lookup(self._context[k], np.array([code]))[0] if k
               else float(self._context[0][1].sum()))
        return num / (den + self.alpha * self.vocab_size)

    def sample(self, prompt, length: int, temperature: float, generator) -> list[int]:
        """`length` ids drawn one at a time from P^(1/T) renormalised, after `prompt`;
        `generator` is a numpy Generator."""
        ids = list(prompt)
        for _ in range(length):
            logp = np.log(self.next_distribution(ids)) / max(temperature, 1e-6)
            p = np.exp(logp - logp.max())
            ids.append(int(generator.choice(self.vocab_size, p=p / p.sum())))
        return ids[len(prompt):]
