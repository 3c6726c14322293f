"""How forecast error grows with the horizon, measured and bounded.

If the true one-step map f has Lipschitz constant L and a model f̂ errs by at most ε per step,
an iterative forecast's error obeys e_{k+1} ≤ ||f̂(x̂_k) - f(x̂_k)|| + ||f(x̂_k) - f(x_k)||
≤ ε + L·e_k, so e_k ≤ ε·Σ_{j<k} L^j: bounded by ε/(1 - L) when L < 1, linear (k·ε) when
L = 1, exponential (~L^k) when L > 1. A direct forecaster predicts step k from the context
without feeding anything back, so its error at k is one term — the error of learning f^k —
with no sum over earlier mistakes. For a chaotic system small errors grow on average like
e^{λk}, λ the largest Lyapunov exponent per step (ln 2 for the logistic map at r = 4), until
they reach the size of the attractor and saturate.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SATURATION_FRACTION = 0.25  # fit growth only while the error is below this share of saturation
MIN_FIT_POINTS = 3


@dataclass
class HorizonErrors:
    median: list  # per horizon, index 0 = one step ahead: the typical test window's error
    q25: list  # spread over test windows: 25th and 75th percentiles
    q75: list
    rmse: list


def per_window_errors(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(n, H, dim) forecasts and truths -> (n, H) Euclidean error of each window at each step."""
    return np.linalg.norm(np.asarray(pred, np.float64) - np.asarray(truth, np.float64), axis=-1)


def summarise(errors: np.ndarray) -> HorizonErrors:
    q25, med, q75 = np.percentile(errors, [25, 50, 75], axis=0)
    rmse = np.sqrt(np.mean(errors ** 2, axis=0))
    return HorizonErrors(med.tolist(), q25.tolist(), q75.tolist(), rmse.tolist())


def saturation_level(states: np.ndarray) -> float:
    """Median distance between two independent states of the system: the error a forecast
    that has forgotten its start makes, where chaotic error curves flatten."""
    flat = np.asarray(states, np.float64).reshape(-1, states.shape[-1])
    half = len(flat) // 2
    return float(np.median(np.linalg.norm(flat[:half] - flat[half:2 * half], axis=-1)))


def fit_range(errors: list, saturation: float | None) -> int:
    """Number of leading horizons before the error first reaches the saturation threshold."""
    if saturation is None or not math.isfinite(saturation):
        return len(errors)
    limit = SATURATION_FRACTION * saturation
    for k, e in enumerate(errors):
        if e >= limit:
            return k
    return len(errors)


def growth_rate(errors: list, saturation: float | None = None) -> tuple[float, int]:
    """Least-squares slope of ln(error) against the step, over the horizons before saturation.
    Returns (rate per step, number of points used); nan when fewer than 3 points are usable."""
    e = np.asarray(errors, np.float64)
    n = fit_range(errors, saturation)
    k = np.arange(n)
    keep = e[:n] > 0
    if keep.sum() < MIN_FIT_POINTS:
        return float("nan"), int(keep.sum())
    slope = np.polyfit(k[keep], np.log(e[:n][keep]), 1)[0]
    return float(slope), int(keep.sum())


def growth_power(errors: list) -> float:
    """Slope of ln(error) against ln(k) over the second half of the horizons: about 0 for a
    bounded error, 1 for linear growth, and rising without limit for exponential growth."""
    e = np.asarray(errors, np.float64)
    k = np.arange(1, len(e) + 1)
    half = slice(len(e) // 2, None)
    if len(e) < 4 or np.any(e[half] <= 0):
        return float("nan")
    return float(np.polyfit(np.log(k[half]), np.log(e[half]), 1)[0])


BOUNDED_FACTOR = 2.0  # a bounded error never exceeds twice the one-step error (ε/(1-L)-like)
BOUNDED_POWER = 0.5  # late log-log slope below which the error has levelled off
EXPONENTIAL_POWER = 1.5  # late log-log slope above which growth is faster than linear


def classify_growth(errors: list) -> str:
    """bounded: the error levels off (late log-log slope below 0.5, as ε·Σ L^j → ε/(1-L)) or
    never exceeds twice the one-step error; exponential: the late log-log slope is well above
    1 (k·L^k has slope 1 + k·ln L); otherwise linear (slope about 1)."""
    e = np.asarray(errors, np.float64)
    p = growth_power(errors)
    if len(e) < 4 or not math.isfinite(p) or e[0] <= 0:
        return "unknown"
    if p < BOUNDED_POWER or e.max() <= BOUNDED_FACTOR * e[0]:
        return "bounded"
    return "exponential" if p >= EXPONENTIAL_POWER else "linear"


def expected_regime(lipschitz: float, tolerance: float = 0.02) -> str:
    if lipschitz < 1.0 - tolerance:
        return "bounded"
    if lipschitz > 1.0 + tolerance:
        return "exponential"
    return "linear"


def iterative_bound(eps: float, lipschitz: float, horizon: int) -> list:
    """e_k ≤ ε·Σ_{j=0}^{k-1} L^j for k = 1..H (the geometric sum of re-injected errors)."""
    out, total, power = [], 0.0, 1.0
    for _ in range(horizon):
        total += power
        power *= lipschitz
        out.append(eps * total)
    return out


def direct_single_term(eps: float, horizon: int) -> list:
    """The direct bound at every horizon is a single learning-error term; drawn here at the
    one-step size ε, i.e. if every horizon were learned as well as the first."""
    return [eps] * horizon
