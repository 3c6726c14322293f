"""Normal periodic series, and probe series with anomalies injected at known steps.

A normal series is a two-harmonic wave with a random period and phase plus a little noise:
x_t = sin(θ_t) + 0.4 sin(2θ_t + ψ) + ε_t, θ_t = 2π t / P + φ, ε_t ~ N(0, 0.1²). The model
trains on windows of normal series only.

A probe series is a normal series with `count` anomalies, one per equal slot of its length
so they never touch, cycling through four kinds (each scaled by `size`):
- spike: one step jumps by 4·size;
- shift: a segment is offset by size;
- noise: a segment gets extra noise of standard deviation size;
- stuck: a segment holds the value of its first step (a frozen sensor).
Every changed step is labelled 1; every other step is exactly the clean series.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

KINDS = ("spike", "shift", "noise", "stuck")
SEGMENT = 12  # steps a shift, noise burst or stuck stretch lasts
NOISE_STD = 0.1
PERIODS = (12.0, 24.0)


@dataclass
class ProbeBatch:
    x: torch.Tensor  # (S, N) series with anomalies
    clean: torch.Tensor  # (S, N) the same series without them
    labels: torch.Tensor  # (S, N) 1.0 where an anomaly changed the series
    segments: list  # per series: [(start, end_exclusive, kind)]


def normal_series(n: int, length: int, gen: torch.Generator) -> torch.Tensor:
    """(n, length) two-harmonic waves with random period, phases and noise."""
    period = PERIODS[0] + (PERIODS[1] - PERIODS[0]) * torch.rand(n, 1, generator=gen, device="cpu")
    phase = 2 * math.pi * torch.rand(n, 1, generator=gen, device="cpu")
    second = 2 * math.pi * torch.rand(n, 1, generator=gen, device="cpu")
    t = torch.arange(length, dtype=torch.float32, device="cpu").unsqueeze(0)
    theta = 2 * math.pi * t / period + phase
    noise = NOISE_STD * torch.randn(n, length, generator=gen, device="cpu")
    return torch.sin(theta) + 0.4 * torch.sin(2 * theta + second) + noise


def normal_windows(n: int, window: int, gen: torch.Generator, device=None) -> torch.Tensor:
    """(n, window, 1) training windows of normal series."""
    x = normal_series(n, window, gen).unsqueeze(-1)
    return x.to(device) if device is not None else x


def inject(clean: torch.Tensor, count: int, size: float, gen: torch.Generator) -> ProbeBatch:
    """Put `count` anomalies into each series of `clean` (S, N), one per slot of N // count
    steps, kinds in turn; returns the series, their labels and the segments."""
    S, N = clean.shape
    x, labels = clean.clone(), torch.zeros(S, N, device="cpu")
    slot = N // count
    segments = []
    for s in range(S):
        mine = []
        for i in range(count):
            kind = KINDS[(i + s) % len(KINDS)]
            length = 1 if kind == "spike" else SEGMENT
            start = i * slot + int(torch.randint(1, slot - length, (1,), generator=gen,
                                                 device="cpu"))
            end = start + length
            if kind == "spike":
                x[s, start] += 4 * size
            elif kind == "shift":
                x[s, start:end] += size
            elif kind == "noise":
                x[s, start:end] += size * torch.randn(length, generator=gen, device="cpu")
            else:
                x[s, start:end] = x[s, start]
            labels[s, start:end] = (x[s, start:end] != clean[s, start:end]).float()
            mine.append((start, end, kind))
        segments.append(mine)
    return ProbeBatch(x, clean, labels, segments)


def probe_series(n: int, length: int, count: int, size: float,
                 gen: torch.Generator) -> ProbeBatch:
    return inject(normal_series(n, length, gen), count, size, gen)
