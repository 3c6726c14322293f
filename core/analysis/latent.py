"""Measurements of a Gaussian latent space: a sampling check of the KL, active units, KL
weight schedules, interpolation paths and a 2-D projection.

The closed-form KL(q ‖ p) = ½ Σ_d (μ_d² + σ_d² − 1 − log σ_d²) lives with the model that
optimises it (core.models.vrae.gaussian_kl); `monte_carlo_kl` estimates the same quantity
from log-densities alone, as an independent check.
"""
from __future__ import annotations

import math

import numpy as np
import torch

SCHEDULES = ("none", "linear", "sigmoid", "cyclical")


def monte_carlo_kl(mu: torch.Tensor, logvar: torch.Tensor, samples: int,
                   gen: torch.Generator | None = None) -> torch.Tensor:
    """E_q[log q(z) − log p(z)] estimated from `samples` draws z = μ + σ·ε, per element.

    An independent check of core.models.vrae.gaussian_kl: no formula for the KL is used, only
    the two log-densities evaluated at sampled points."""
    eps = torch.randn((samples, *mu.shape), generator=gen, dtype=mu.dtype,
                      device=gen.device if gen is not None else "cpu").to(mu.device)
    std = (0.5 * logvar).exp()
    z = mu + std * eps
    log_q = -0.5 * (((z - mu) / std).pow(2) + logvar + math.log(2 * math.pi))
    log_p = -0.5 * (z.pow(2) + math.log(2 * math.pi))
    return (log_q - log_p).mean(0)


def active_units(mu: torch.Tensor, threshold: float = 0.01) -> tuple[int, list[float]]:
    """Dimensions whose posterior mean varies across the data: Cov_x(E_q[z_d]) > threshold
    (Burda, Grosse & Salakhutdinov 2016). A dimension the encoder ignores has the same μ for
    every input, so its variance is ~0 — this is how posterior collapse shows per dimension."""
    variance = mu.detach().float().var(0, unbiased=True) if mu.shape[0] > 1 else \
        torch.zeros(mu.shape[1], device=mu.device)
    values = variance.tolist()
    return sum(v > threshold for v in values), values


def kl_weight(step: int, total_steps: int, schedule: str, warmup_fraction: float = 0.5,
              cycles: int = 4) -> float:
    """Annealing weight w(step) in [0, 1] that multiplies β·KL.

    none: w = 1. linear: w rises from 0 to 1 over the first `warmup_fraction` of training
    (Bowman et al. 2016). sigmoid: w = 1/(1 + exp(−k(s − s0))) centred at half the warm-up,
    k = 12/warm-up so it runs from ~0.002 to ~0.998 across it. cyclical: training is split
    into `cycles` equal cycles; in each, w rises linearly over the first half then holds 1
    (Fu et al. 2019)."""
    if schedule == "none":
        return 1.0
    total = max(int(total_steps), 1)
    if schedule == "cyclical":
        period = total / max(int(cycles), 1)
        position = (step % period) / period if step < total else 1.0
        return float(min(1.0, position / 0.5))
    warmup = max(warmup_fraction * total, 1.0)
    if schedule == "linear":
        return float(min(1.0, step / warmup))
    if schedule == "sigmoid":
        if step >= warmup:
            return 1.0
        return float(1.0 / (1.0 + math.exp(-12.0 / warmup * (step - warmup / 2))))
    raise ValueError(f"unknown KL schedule {schedule!r}; expected one of {SCHEDULES}")


def interpolate(z_start: torch.Tensor, z_end: torch.Tensor, points: int) -> torch.Tensor:
    """z_λ = (1 − λ) z_start + λ z_end for λ evenly spaced in [0, 1], (points, d)."""
    lam = torch.linspace(0.0, 1.0, points, device=z_start.device).unsqueeze(1)
    return (1 - lam) * z_start.unsqueeze(0) + lam * z_end.unsqueeze(0)


def path_max_jump(decoded: np.ndarray) -> float:
    """Largest step between consecutive decoded sequences along a path, as a fraction of the
    distance between its two ends: 1/(points − 1) for an evenly paced path, ~1 for a path that
    jumps from one end to the other in a single step."""
    decoded = np.asarray(decoded, dtype=float).reshape(len(decoded), -1)
    steps = np.linalg.norm(np.diff(decoded, axis=0), axis=1)
    span = float(np.linalg.norm(decoded[-1] - decoded[0]))
    return float(steps.max() / span) if span > 0 else float("inf")


def project_2d(z: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """z itself when d = 2, else its first two principal components (and the fraction of
    variance each explains), for the latent map."""
    z = np.asarray(z, dtype=float)
    if z.shape[1] == 1:
        return np.concatenate([z, np.zeros_like(z)], 1), [1.0, 0.0]
    if z.shape[1] == 2:
        return z, [float("nan"), float("nan")]
    centred = z - z.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    explained = (s ** 2) / max(float((s ** 2).sum()), 1e-12)
    return centred @ vt[:2].T, explained[:2].tolist()
