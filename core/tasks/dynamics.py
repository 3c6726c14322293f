"""Dynamical systems to forecast, cut into windows of `context` observed steps + `horizon`.

- linear: x_{t+1} = L·x_t, so |f(u) - f(v)| = L·|u - v| exactly: L is the map's Lipschitz
  constant (L < 1 contracts, = 1 preserves, > 1 expands). A scalar map keeps a model's
  per-step error systematic (at L = 1 the state, and so the error made there, repeats), which
  is the case the geometric-sum bound describes. Each window's forecast origin is drawn in
  ±[0.2, 1], so values stay within L^±(C+H) of 1.
- logistic: x_{t+1} = r·x_t·(1 - x_t); at r = 4 its Lyapunov exponent is exactly ln 2.
- lorenz: Lorenz-63 (σ = 10, ρ = 28, β = 8/3) integrated with classical RK4 and sampled every
  `dt` time units; its largest Lyapunov exponent is about 0.906 per unit time.
- sunspots / an uploaded series: a fixed 1-D series, split in time (train on the past, test on
  the future) so test windows are never seen in training.

Every window is a float32 tensor (n, context + horizon, dim).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

LORENZ_SIGMA, LORENZ_RHO, LORENZ_BETA = 10.0, 28.0, 8.0 / 3.0
LORENZ_LYAPUNOV = 0.9056  # per unit time, classic parameters (Sprott, Chaos and Time-Series Analysis)
# RK4 step, in time units, at most: with h = 0.015 the integration error over a forecast is
# orders of magnitude below any model's (a test compares against a finer integration), and a
# fine sample step Δt is integrated in one RK4 step per sample instead of ten.
LORENZ_MAX_STEP = 0.015
SUNSPOTS_CSV = Path(__file__).resolve().parents[2] / "assets" / "sunspots_yearly.csv"
TEST_FRACTION = 0.2  # share of a fixed series (taken from its end) kept for testing


def rk4_step(f, state: np.ndarray, h: float) -> np.ndarray:
    """One classical fourth-order Runge–Kutta step of dy/dt = f(y); local error O(h^5)."""
    k1 = f(state)
    k2 = f(state + 0.5 * h * k1)
    k3 = f(state + 0.5 * h * k2)
    k4 = f(state + h * k3)
    return state + (h / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)


def lorenz_rhs(state: np.ndarray) -> np.ndarray:
    """Lorenz-63 vector field for a batch of states (..., 3)."""
    x, y, z = state[..., 0], state[..., 1], state[..., 2]
    return np.stack([LORENZ_SIGMA * (y - x), x * (LORENZ_RHO - z) - y,
                     x * y - LORENZ_BETA * z], axis=-1)


def lorenz_trajectory(start: np.ndarray, n_samples: int, dt: float) -> np.ndarray:
    """(batch, n_samples, 3) samples every dt, starting with `start` itself."""
    substeps = max(1, math.ceil(dt / LORENZ_MAX_STEP - 1e-9))
    h = dt / substeps
    out = np.empty(start.shape[:-1] + (n_samples, 3))
    state = start.astype(np.float64)
    for i in range(n_samples):
        out[..., i, :] = state
        for _ in range(substeps):
            state = rk4_step(lorenz_rhs, state, h)
    return out


def logistic_trajectory(start: np.ndarray, n_samples: int, r: float) -> np.ndarray:
    """(batch, n_samples) iterates of x -> r·x·(1 - x), starting with `start`."""
    out = np.empty(start.shape + (n_samples,))
    x = start.astype(np.float64)
    for i in range(n_samples):
        out[..., i] = x
        x = r * x * (1.0 - x)
    return out


def logistic_lyapunov(r: float, n: int = 20000, burn_in: int = 1000) -> float:
    """λ = mean of ln|f'(x_t)| = mean of ln|r·(1 - 2x_t)| along one long orbit of the true map.
    (Closed form only at r = 4, where it is ln 2.)"""
    x = logistic_trajectory(np.array(0.1234), burn_in + n, r)[burn_in:]
    return float(np.mean(np.log(np.abs(r * (1.0 - 2.0 * x)) + 1e-300)))


@dataclass(frozen=True)
class SystemWindows:
    """Windows of one system: `train` and `test` draw independent windows (fresh initial
    conditions for the simulated systems, earlier vs later years for a fixed series)."""
    name: str
    dim: int
    context: int
    horizon: int
    lipschitz: float | None  # the one-step map's Lipschitz constant, when known
    lyapunov_per_step: float | None  # the known exponent per sample step, when known
    series: np.ndarray | None = None  # (N, 1) for a fixed series
    params: tuple = ()

    @property
    def length(self) -> int:
        return self.context + self.horizon

    @property
    def stretch_per_step(self) -> float | None:
        """The factor by which one step stretches a small error, as the theory curve
        ε·Σ s^j uses it: the linear map's Lipschitz constant L (exact), a chaotic system's
        average stretch e^λ (an estimate, not a bound: the logistic map's Lipschitz constant
        is 4), none for a recorded series."""
        if self.name == "linear":
            return self.lipschitz
        if self.lyapunov_per_step is not None:
            return math.exp(self.lyapunov_per_step)
        return None

    def sample(self, n: int, gen: torch.Generator, split: str = "train") -> torch.Tensor:
        rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,), generator=gen,
                                                      device=gen.device)))
        if self.series is not None:
            windows = self._fixed_windows(n, rng, split)
        else:
            windows = SIMULATORS[self.name](self, n, rng, split)
        return torch.as_tensor(windows, dtype=torch.float32, device="cpu")

    def _fixed_windows(self, n: int, rng: np.random.Generator, split: str) -> np.ndarray:
        cut = int(len(self.series) * (1.0 - TEST_FRACTION))
        # Test windows start where their forecast origin lies in the held-out tail, so the
        # horizon being scored is always future the model never trained on.
        lo, hi = (0, cut - self.length) if split == "train" else \
                 (cut - self.context, len(self.series) - self.length)
        starts = rng.integers(lo, hi + 1, size=n)
        return np.stack([self.series[s:s + self.length] for s in starts])


def _linear_windows(w: SystemWindows, n: int, rng: np.random.Generator,
                    split: str) -> np.ndarray:
    (L,) = w.params
    origin = rng.uniform(0.2, 1.0, size=n) * rng.choice([-1.0, 1.0], size=n)
    steps = np.arange(w.length) - (w.context - 1)  # 0 at the forecast origin (last context step)
    return (origin[:, None] * L ** steps[None, :])[..., None]


def _logistic_windows(w: SystemWindows, n: int, rng: np.random.Generator,
                      split: str) -> np.ndarray:
    (r,) = w.params
    burned = logistic_trajectory(rng.uniform(0.05, 0.95, size=n), 200, r)[:, -1]
    return logistic_trajectory(burned, w.length, r)[..., None]


LORENZ_POOL_SPLITS = ("train", "test")


def lorenz_pool(dt: float, split: str) -> np.ndarray:
    """Long trajectories on the attractor, cut into windows on demand (integrating every
    batch from scratch would cost more than training on it). Train and test pools start from
    different random states, so their windows are independent."""
    return _lorenz_pools(float(dt))[LORENZ_POOL_SPLITS.index(split)]


@lru_cache(maxsize=8)
def _lorenz_pools(dt: float, trajectories: int = 24, samples: int = 800) -> tuple:
    """Both pools of one Δt, integrated once and together: one vectorised integration of 48
    trajectories costs about what one of 24 does."""
    starts = [np.array([1.0, 1.0, 20.0]) + np.random.default_rng(seed).normal(
        0.0, 5.0, size=(trajectories, 3)) for seed in (1, 2)]  # train, test
    on_attractor = lorenz_trajectory(np.concatenate(starts), int(10.0 / dt) + 1, dt)[:, -1]
    pools = lorenz_trajectory(on_attractor, samples, dt)
    return pools[:trajectories], pools[trajectories:]


def _lorenz_windows(w: SystemWindows, n: int, rng: np.random.Generator,
                    split: str) -> np.ndarray:
    (dt,) = w.params
    pool = lorenz_pool(float(dt), "train" if split == "train" else "test")
    which = rng.integers(0, pool.shape[0], size=n)
    starts = rng.integers(0, pool.shape[1] - w.length + 1, size=n)
    return np.stack([pool[i, s:s + w.length] for i, s in zip(which, starts)])


SIMULATORS = {"linear": _linear_windows, "logistic": _logistic_windows, "lorenz": _lorenz_windows}


def make_system(name: str, context: int, horizon: int, *, lipschitz: float = 1.0,
r: float = 4.0, dt: float = 0.15,
                series: np.ndarray | None = None) -> SystemWindows:
    if name == "linear":
        return SystemWindows("linear", 1, context, horizon, lipschitz, math.log(lipschitz),
                             params=(lipschitz,))
    if name == "logistic":
        lyap = math.log(2.0) if r == 4.0 else logistic_lyapunov(r)
        return SystemWindows("logistic", 1, context, horizon, r, lyap, params=(r,))
    if name == "lorenz":
        return SystemWindows("lorenz", 3, context, horizon, None, LORENZ_LYAPUNOV * dt,
                             params=(dt,))
    if name in ("sunspots", "csv"):
        if series is None:
            if name == "csv":
                raise ValueError("system 'csv' needs an uploaded series: choose a CSV file "
                                 "and a numeric column first")
            series = load_sunspots()
        series = np.asarray(series, dtype=np.float64).reshape(-1, 1)
        needed = minimum_series_length(context, horizon)
        if len(series) < needed:
            raise ValueError(f"the series has {len(series)} values; context {context} + "
                             f"horizon {horizon} needs at least {needed}")
        return SystemWindows(name, 1, context, horizon, None, None, series=series)
    raise ValueError(f"unknown system {name!r}")


def minimum_series_length(context: int, horizon: int) -> int:
    """Enough values that both the training past and the held-out future hold whole windows."""
    return int(math.ceil((context + horizon) / TEST_FRACTION)) + 1


def longest_window(values: int) -> int:
    """The largest context + horizon a series of `values` values allows (0 if none)."""
    longest = 0
    while minimum_series_length(longest + 1, 0) <= values:
        longest += 1
    return longest


@lru_cache(maxsize=1)
def sunspots_length() -> int:
    return len(load_sunspots())


def load_sunspots() -> np.ndarray:
    """Yearly mean sunspot numbers 1700–2008 (NOAA NGDC, public domain; see assets/README.md)."""
    from core.tasks.series_csv import read_csv_table, series_from_table
    return series_from_table(read_csv_table(SUNSPOTS_CSV.read_bytes()), "sunspots")
