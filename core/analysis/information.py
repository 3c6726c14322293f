"""Mutual information between the input at lag d and the target, estimated from samples,
and the dependency horizon it implies for truncated BPTT.

If I(d) ≈ I0·exp(-λ d), a truncation window K that keeps dependencies carrying at least a
fraction ε of I0 is K = ln(1/ε)/λ: beyond it the discarded information is negligible.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def plugin_mutual_information(x: np.ndarray, y: np.ndarray) -> float:
    """I(X;Y) in nats from paired discrete samples, with the Miller–Madow correction that
    removes the plug-in estimator's first-order positive bias, floored at zero."""
    x = np.asarray(x).ravel()
    y = np.asarray(y).ravel()
    n = len(x)
    _, xi = np.unique(x, return_inverse=True)
    _, yi = np.unique(y, return_inverse=True)
    joint = np.zeros((xi.max() + 1, yi.max() + 1))
    np.add.at(joint, (xi, yi), 1)
    p = joint / n
    px, py = p.sum(1, keepdims=True), p.sum(0, keepdims=True)
    nz = p > 0
    mi = float((p[nz] * np.log(p[nz] / (px @ py)[nz])).sum())
    # bias of the plug-in MI ≈ (|XY| - |X| - |Y| + 1) / 2n for the occupied cells
    bias = (nz.sum() - (px > 0).sum() - (py > 0).sum() + 1) / (2 * n)
    return max(mi - bias, 0.0)


@dataclass
class Horizon:
    mi_by_lag: list  # index 0 = lag 1
    i0: float  # fitted I at lag 0
    decay_rate: float | None  # fitted λ, None when fewer than two informative lags
    suggested_k: int


def dependency_horizon(mi_by_lag: list, fraction: float, floor: float = 1e-3) -> Horizon:
    """Fit log I(d) = log I0 - λ d over the lags that carry information, and choose K where
    the fit falls to `fraction`·I0.

    A lag carries information when its estimate clears `floor`, three times the median over
    all lags (the estimator's own noise level when most lags are uninformative) and 1% of the
    largest value (so estimator noise never outvotes a real peak in the fit).
    With a single informative lag (a fixed-lag task), or no decay to fit, K is the longest
    informative lag and the rate is None.
    """
    lags = np.arange(1, len(mi_by_lag) + 1)
    mi = np.asarray(mi_by_lag, dtype=float)
    useful = mi > max(floor, 3.0 * float(np.median(mi)), 0.01 * float(mi.max(initial=0.0)))
    if useful.sum() == 0:
        return Horizon(list(mi_by_lag), 0.0, None, 1)
    longest = int(lags[useful].max())
    if useful.sum() < 2:
        return Horizon(list(mi_by_lag), float(mi.max()), None, longest)
    slope, intercept = np.polyfit(lags[useful], np.log(mi[useful]), 1)
    if slope >= 0:
        return Horizon(list(mi_by_lag), float(mi.max()), None, longest)
    rate = -float(slope)
    k = math.ceil(math.log(1.0 / fraction) / rate)
    return Horizon(list(mi_by_lag), float(math.exp(intercept)), rate,
                   int(min(max(k, 1), len(mi_by_lag))))


def recall_horizon(batch, fraction: float) -> Horizon:
    """The dependency horizon of a marked-recall batch (core.tasks.recall): the information
    the input at each lag d — its symbol and whether it is marked — carries about the target,
    estimated from the batch, and the window where it falls to `fraction` of the first lag's."""
    symbol_and_mark = (batch.tokens * 2 + batch.x[:, :, -1].long()).cpu().numpy()
    target = batch.target.cpu().numpy()
    T = symbol_and_mark.shape[1]
    mi = [plugin_mutual_information(symbol_and_mark[:, T - d], target) for d in range(1, T + 1)]
    return dependency_horizon(mi, fraction)
