"""What truncated backpropagation through time can reach on marked recall.

RecurrentClassifier.forward(x, tbptt_k = K) detaches the state every K steps counted back
from the end, so the loss at the last step (index T-1) reaches the states and inputs at
indices T-K..T-1: exactly K steps, the last one included. The mark sits at index T - lag, so
its symbol is inside the window iff lag ≤ K (lag 1 is the last step itself), and the share
of sequences whose mark the gradient reaches is p_K = P(lag ≤ K), exact from the task's lag
distribution.

If exactly the in-window dependencies are learned, accuracy is p_K + (1 - p_K)/S for S
symbols: every in-window mark recalled, every other sequence a uniform guess (the symbols in
the window are independent of the marked one). Assumptions: the loss is on the last step
only (many-to-one; with many-to-many every step after the mark is trained, including steps
in the chunk that holds the mark), and what the gradient never reaches is never learned.
That last assumption is the weak one, so this is a reference level, not a bound: a cell that
learns within the window to store a marked symbol and hold it for K - 1 steps runs the same
weights on longer lags, and can keep holding it. Measured on the lab's geometric preset
(mean lag 8, T = 40, LSTM): K = 5 reached 0.57 (reference 0.62), K = 10 reached 0.93, above
its reference 0.80 — the hold learned inside the window carried marks beyond it.
"""
from __future__ import annotations

import math

from core.tasks.recall import MarkedRecall


def window_fraction(task: MarkedRecall, k: int) -> float:
    """p_K = P(lag ≤ K), the share of sequences whose mark a K-step window reaches, from the
    task's exact lag distribution. K ≤ 0 or K ≥ T means full backpropagation: 1."""
    if k <= 0 or k >= task.seq_len:
        return 1.0
    return float(min(1.0, sum(task.lag_probabilities()[:k])))


def in_window_accuracy(task: MarkedRecall, k: int) -> float:
    """p_K + (1 - p_K)/S: the accuracy of a model that has learned exactly the dependencies
    inside the K-step window (every in-window mark recalled, a uniform guess among S symbols
    otherwise). A reference level under many-to-one supervision, not an upper bound: see the
    module docstring for why a trained cell can exceed it."""
    p = window_fraction(task, k)
    return p + (1.0 - p) / task.symbols


def information_by_lag(task: MarkedRecall) -> list:
    """Exact I(input at lag d; target) in nats for d = 1..T: P(lag = d)·ln S.

    The input at lag d is (symbol, mark bit). With probability P(lag = d) it is marked and its
    symbol is the target; otherwise its symbol is independent of the target, which is uniform
    over S symbols either way. So H(target | input) = (1 - P(lag = d))·ln S and the
    information is P(lag = d)·ln S: for the geometric spread it decays like q^d, i.e. at
    rate -ln q = -ln(1 - 1/mean lag) per step, over a floor q^T·ln S / T from the folded
    overshoots. This is what the lab's plug-in estimate (core.analysis.information) measures.
    """
    return [p * math.log(task.symbols) for p in task.lag_probabilities()]
