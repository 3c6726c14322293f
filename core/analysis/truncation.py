"""What truncated backpropagation through time can learn on marked recall.

RecurrentClassifier.forward(x, tbptt_k = K) detaches the state every K steps counted back
from the end, so the loss at the last step (index T-1) reaches the states and inputs at
indices T-K..T-1: exactly K steps, the last one included. The mark sits at index T - lag, so
its symbol is inside the window iff lag ≤ K (lag 1 is the last step itself).

Assumptions of the ceiling: the loss is on the last step only (many-to-one); a dependency
whose gradient is exactly zero is never learned (training gives no signal to carry a symbol
across a cut, though nothing forbids a model from carrying it by accident); and where the
mark is out of reach the best guess is uniform, right with probability 1/S for S symbols,
because the symbols in the window are independent of the marked one. With many-to-many
supervision every step after the mark is trained to answer, including steps in the chunk
that holds the mark, so the weights can learn to carry the symbol and the ceiling is not a
bound there.
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


def truncated_accuracy_ceiling(task: MarkedRecall, k: int) -> float:
    """p_K + (1 - p_K)/S: every in-window mark recalled, every other sequence a uniform
    guess among S symbols (many-to-one supervision; see the module's assumptions)."""
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
