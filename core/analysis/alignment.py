"""Alignment entropy: how focused an attention distribution is, against the uniform one.

For one decoder step with weights α_t over T_x input positions, H(α_t) = -Σ_i α_ti ln α_ti
(nats). The uniform alignment, which is what a decoder without attention effectively has (no
information about where to look), attains the maximum, ln T_x; the ratio H / ln T_x is 1 for
no focus and 0 for attention on a single position.

The theory's simulation: a Gaussian alignment of width σ centred on the ideal position,
α_ti ∝ exp(-(i - μ_t)² / 2σ²). Its entropy in closed form, for 1 ≲ σ ≪ T_x (a discretised
Gaussian on unit bins, far from the edges), is that of the continuous Gaussian,
H ≈ ½ ln(2πeσ²); the uniform alignment's is exactly ln T_x.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def alignment_entropy(weights) -> np.ndarray:
    """Entropy in nats of each row of an attention matrix (..., T_x), with 0·ln 0 = 0."""
    w = np.asarray(weights, dtype=float)
    safe = np.where(w > 0, w, 1.0)
    return -(w * np.log(safe)).sum(axis=-1)


def entropy_ratio(weights) -> float:
    """Mean row entropy of one attention matrix (T_y, T_x) over the uniform ln T_x."""
    w = np.asarray(weights, dtype=float)
    tx = w.shape[-1]
    if tx < 2:
        return 0.0  # one input position: nothing to choose, no uncertainty
    return float(alignment_entropy(w).mean() / math.log(tx))


def peak_weight_floor(mean_entropy: float) -> float:
    """The least mean largest weight that attention rows of mean entropy H̄ (nats) can have.

    For one row, max_i α_i ≥ e^(-H(α)): the min-entropy -ln max_i α_i never exceeds the
    Shannon entropy, since H = Σ α_i (-ln α_i) ≥ Σ α_i (-ln max α) = -ln max α. The map
    H ↦ e^(-H) is convex, so by Jensen the mean over rows obeys
    mean_t max_i α_ti ≥ mean_t e^(-H(α_t)) ≥ e^(-H̄). Rows uniform over k positions meet it
    with equality (largest weight 1/k, entropy ln k). At a ratio r = H̄/ln T_x this reads
    T_x^(-r)."""
    return math.exp(-mean_entropy)


def uniform_alignment(ty: int, tx: int) -> np.ndarray:
    return np.full((ty, tx), 1.0 / tx)


def gaussian_alignment(centers, tx: int, width: float) -> np.ndarray:
    """Rows α_t ∝ exp(-(i - μ_t)²/2σ²) over positions i = 0..T_x-1, one per centre μ_t."""
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    pos = np.arange(tx)[None, :]
    mu = np.asarray(centers, dtype=float)[:, None]
    logits = -((pos - mu) ** 2) / (2.0 * width ** 2)
    logits -= logits.max(axis=1, keepdims=True)
    w = np.exp(logits)
    return w / w.sum(axis=1, keepdims=True)


def gaussian_entropy_closed_form(width: float) -> float:
    """½ ln(2πeσ²): the entropy of a Gaussian alignment of width σ away from the edges."""
    return 0.5 * math.log(2.0 * math.pi * math.e * width ** 2)


@dataclass
class AlignmentSimulation:
    lengths: list  # T_x values
    gaussian_simulated: list  # mean row entropy of the Gaussian alignment (nats)
    gaussian_closed_form: list  # ½ ln(2πeσ²), capped at ln T_x (it cannot exceed the maximum)
    uniform_simulated: list  # mean row entropy of the uniform alignment
    uniform_closed_form: list  # ln T_x
    ratio_simulated: list  # gaussian_simulated / ln T_x


def simulate_alignment(lengths, width: float, task_positions=None) -> AlignmentSimulation:
    """Entropies of Gaussian (centred on the ideal positions, anti-diagonal by default, as for
    reversal) and uniform alignments for each input length, computed from the matrices and
    beside their closed forms."""
    out = AlignmentSimulation([], [], [], [], [], [])
    for tx in lengths:
        centers = (task_positions(tx) if task_positions is not None
                   else list(range(tx - 1, -1, -1)))
        g = alignment_entropy(gaussian_alignment(centers, tx, width)).mean()
        u = alignment_entropy(uniform_alignment(len(centers), tx)).mean()
        out.lengths.append(int(tx))
        out.gaussian_simulated.append(float(g))
        out.gaussian_closed_form.append(min(gaussian_entropy_closed_form(width), math.log(tx)))
        out.uniform_simulated.append(float(u))
        out.uniform_closed_form.append(math.log(tx))
        out.ratio_simulated.append(float(g / math.log(tx)) if tx > 1 else 0.0)
    return out
