"""How forecast error grows with the horizon, measured and bounded.

If the true one-step map f has Lipschitz constant L and a model f̂ errs by at most ε per step,
an iterative forecast's error obeys e_{k+1} ≤ ||f̂(x̂_k) - f(x̂_k)|| + ||f(x̂_k) - f(x_k)||
≤ ε + L·e_k, so e_k ≤ ε·Σ_{j<k} L^j: bounded by ε/(1 - L) when L < 1, linear (k·ε) when
L = 1, exponential (~L^k) when L > 1. For a chaotic system small errors grow on average like
e^{λk}, λ the largest Lyapunov exponent per step (ln 2 for the logistic map at r = 4), until
they reach the size of the attractor and saturate. (A direct forecaster predicts step k from
the context without feeding anything back, so nothing compounds; its error at k is the error
of learning f^k, for which no general curve follows from ε, so none is drawn.)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

SATURATION_FRACTION = 0.25  # fit growth only while the error is below this share of saturation
MIN_FIT_POINTS = 3
DIFFERENCE_POINTS_PER_SPAN = 8  # see difference_span


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


def horizon_errors(model, windows: torch.Tensor, context: int, horizon: int) -> HorizonErrors:
    """A forecaster's error at every horizon on (n, context + horizon, dim) windows: it reads
    the first `context` steps and rolls out `horizon` (`model.rollout`)."""
    with torch.no_grad():
        pred = model.rollout(windows[:, :context], horizon)
    return summarise(per_window_errors(pred.cpu().numpy(), windows[:, context:].cpu().numpy()))


def persistence_errors(last: np.ndarray, truth: np.ndarray) -> HorizonErrors:
    """The baseline any forecaster should beat: repeat the last observed value (n, 1, dim)
    at every horizon of `truth` (n, H, dim)."""
    return summarise(per_window_errors(np.repeat(last, truth.shape[1], axis=1), truth))


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


def difference_span(points: int) -> int:
    """Steps m between the two errors of each difference: 1 for short fits, growing to keep
    about eight differences per step of span (m = max(1, ⌊n/8⌋) for n usable horizons)."""
    return max(1, points // DIFFERENCE_POINTS_PER_SPAN)


def growth_rate(errors: list, saturation: float | None = None) -> tuple[float, int]:
    """Growth rate per step of an error curve: the least-squares slope of ln|e_{k+m} - e_k|
    against k, over the horizons before saturation (`fit_range`), with the span
    m = `difference_span`(n). Returns (rate per step, number of differences used); nan when
    fewer than 3 are usable.

    Why differences and not ln e_k itself. The linear theory curve e_k = ε·Σ_{j<k} L^j is
    not a pure exponential: it is (L^k - 1)·ε/(L - 1), and the slope of ln e_k over 30 steps
    reads +0.05 at L = 0.9 (ln L = -0.105), 0.089 at L = 1 and 0.148 at L = 1.1
    (ln L = 0.095). Its differences are exactly geometric, e_{k+m} - e_k = ε·L^k·(1 + L + …
    + L^(m-1)), so their log-slope is ln L for every L: negative below 1, where the error
    approaches its limit ε/(1 - L) with a gap that shrinks like L^k; zero at 1, where it
    grows by ε a step; ln L above 1. The same holds for any curve A + B·e^{rk}: the constant
    A (a floor, or the -1 of the geometric sum) cancels and the slope is r. So chaotic
    growth c·e^{λk} reads λ, and the estimator applied to a theory curve returns exactly the
    rate the theory put in: the like-for-like comparison for a model's measured curve.

    The span: a measured median curve is noisy, and a one-step difference of a slowly growing
    curve (Lorenz-63 grows ~15% a step) is not much larger than that noise; a difference
    over m steps is about m times larger, at the cost of m - 1 fewer points. m = 1 whenever
    fewer than 16 horizons are usable (the logistic map saturates within ~6).

    A measured curve may fall as well as rise (a contractive system, or noise on a plateau):
    the differences of the prevailing sign are used, in absolute value, and those against it
    are skipped (their logarithm does not exist). Assumes one geometric phase over the fitted
    horizons; saturation is excluded by `fit_range`.
    """
    e = np.asarray(errors, np.float64)[:fit_range(errors, saturation)]
    m = difference_span(len(e))
    steps = e[m:] - e[:-m] if len(e) > m else np.zeros(0)
    if np.sum(steps < 0) > np.sum(steps > 0):
        steps = -steps  # a falling curve: its decrements shrink geometrically instead
    k = np.arange(len(steps))
    keep = np.isfinite(steps) & (steps > 0)
    if keep.sum() < MIN_FIT_POINTS:
        return float("nan"), int(keep.sum())
    slope = np.polyfit(k[keep], np.log(steps[keep]), 1)[0]
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


def growth_verdict(system: str, lipschitz: float | None, m: dict, regime: str,
                   tolerance: float) -> tuple[bool, str]:
    """Whether a pair of forecasters shows what the theory says for `system`, and why, from
    their measured curves `m` (the forecast lab's metrics) and the iterative curve's `regime`.

    Linear map: the regime L predicts (`expected_regime`). Below L = 1 that is all: a trained
    model's error there depends on the state and need not follow ε·Σ L^j term by term, so it
    is judged by staying bounded. Above 1 the fitted rate must also lie within `tolerance`
    (a fraction) of ln L. Chaotic systems: the fitted rate within `tolerance` of the known
    exponent. In both, the direct error must grow by a smaller factor from step 1 to step H
    than the iterative one (nothing compounds). A recorded series: the iterative model must
    beat repeating the last value one step ahead.
    """
    direct_flatter = m["growth_factor_direct"] < m["growth_factor_iterative"]
    rate, ref = m["growth_rate_iterative"], m["reference_growth_rate"]
    near = math.isfinite(rate) and abs(rate - ref) <= tolerance * abs(ref)
    if system == "linear":
        want = expected_regime(lipschitz)
        if want == "bounded":
            worst = max(m["error_by_horizon_iterative"]) / m["one_step_error_iterative"]
            return regime == want, (f"Iterative error looks {regime} (L = {lipschitz:g} "
                                    f"predicts bounded): its largest is {worst:.2f} times its "
                                    "one-step error.")
        ok = regime == want and direct_flatter and (want == "linear" or near)
        return ok, (f"Iterative error looks {regime} (L = {lipschitz:g} predicts {want}); "
                    f"fitted rate {rate:.3f}/step vs ln L = {ref:.3f}.")
    if system in ("logistic", "lorenz"):
        if not math.isfinite(rate):
            # growth_rate needs MIN_FIT_POINTS rising differences before saturation: a short
            # horizon, or a barely trained model whose error starts near saturation, has fewer
            return False, (f"No growth rate could be fitted: {m['growth_fit_points']} rising "
                           f"differences before the error saturates, {MIN_FIT_POINTS} needed "
                           f"(known exponent {ref:.3f}/step); train longer or raise the "
                           "horizon.")
        return near and direct_flatter, (f"Fitted growth {rate:.3f}/step vs known exponent "
                                         f"{ref:.3f}/step over {m['growth_fit_points']} "
                                         "differences.")
    persistence = m["error_by_horizon_persistence"][0]
    return m["one_step_error_iterative"] < persistence, (
        f"One-step error {m['one_step_error_iterative']:.3g} (repeating the last value: "
        f"{persistence:.3g}); error at H {m['final_error_iterative']:.3g} (iterative) vs "
        f"{m['final_error_direct']:.3g} (direct).")
