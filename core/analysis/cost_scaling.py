"""The cost of one training step against sequence length T: wall time, memory, the fitted
exponent of each, and where two models' curves cross.

Time is the wall time of a forward pass, backward pass and optimiser step: the fastest of a
few timed steps, the estimate least disturbed by other work on a shared machine (as timeit
reports its best). Memory is,
on CUDA, the peak the caching allocator reports (torch.cuda.max_memory_allocated) above what
was allocated before the step; on the CPU, where torch keeps no such counter, it is the
activation memory of the step: the bytes of every tensor autograd saves for the backward
pass (counted once per storage with torch.autograd.graph.saved_tensors_hooks, parameters
left out). That is what grows with T: a recurrence keeps O(T) states, attention that forms
its scores keeps O(T^2) of them.

A cost c(T) = a T^b is a straight line of slope b on log-log axes; the exponent is fitted by
least squares over the longer half of the lengths, where fixed per-step overhead (kernel
launches, the optimiser) no longer hides the growth.
"""
from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np
import torch

from core.contract import ConfigError

MAX_LENGTHS = 8
MIN_T, MAX_T = 8, 2048
MAX_CHARS = 120  # "32,64,...,2048" with spaces fits in 60; longer text is refused unread


def parse_lengths(text: str) -> list[int]:
    """The T values of a cost sweep from text such as "32, 64, 128": whole numbers from
    MIN_T to MAX_T, at most MAX_LENGTHS of them, at least two; returned sorted, once each."""
    if len(text) > MAX_CHARS:
        raise ConfigError(f"cost_lengths: {len(text)} characters is more than {MAX_CHARS}; "
                          f"give at most {MAX_LENGTHS} lengths separated by commas")
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    values = []
    for part in parts:
        if not part.isdigit() or not part.isascii():
            raise ConfigError(f"cost_lengths: {part[:12]!r} is not a whole number")
        values.append(int(part))
    values = sorted(set(values))
    if len(values) < 2 or len(values) > MAX_LENGTHS:
        raise ConfigError(f"cost_lengths: give from 2 to {MAX_LENGTHS} different lengths "
                          f"(got {len(values)})")
    if values[0] < MIN_T or values[-1] > MAX_T:
        raise ConfigError(f"cost_lengths: every length must be from {MIN_T} to {MAX_T}")
    return values


def fit_power_law(lengths, costs, tail: bool = True) -> dict | None:
    """Least-squares fit of ln c = ln a + b ln T; with `tail`, over the longer half of the
    lengths (at least two points). Returns {"exponent": b, "prefactor": a, "from_T": the
    shortest length used}, or None when fewer than two positive costs are available."""
    pairs = [(float(t), float(c)) for t, c in zip(lengths, costs)
             if c is not None and math.isfinite(c) and c > 0]
    if tail and len(pairs) > 2:
        pairs = pairs[len(pairs) // 2:]
    if len(pairs) < 2:
        return None
    t, c = np.log([p[0] for p in pairs]), np.log([p[1] for p in pairs])
    b, log_a = np.polyfit(t, c, 1)
    return {"exponent": float(b), "prefactor": float(math.exp(log_a)),
            "from_T": int(round(pairs[0][0]))}


def crossover(lengths, first, second) -> float | None:
    """The T at which `first` (attention, say) stops being cheaper than `second` (a
    recurrence): between the first two neighbouring lengths where first < second turns into
    first >= second, the crossing of the two straight lines joining them on log-log axes.
    None when that never happens within the lengths (cheaper throughout, or dearer from the
    start)."""
    points = [(t, a, b) for t, a, b in zip(lengths, first, second)
              if a is not None and b is not None and a > 0 and b > 0]
    for (t0, a0, b0), (t1, a1, b1) in zip(points, points[1:]):
        g0, g1 = math.log(a0 / b0), math.log(a1 / b1)
        if g0 < 0 <= g1:
            w = g0 / (g0 - g1)
            return float(math.exp(math.log(t0) + w * (math.log(t1) - math.log(t0))))
    return None


def saved_activation_bytes(step: Callable[[], None], exclude: set[int]) -> int:
    """Bytes of the tensors autograd saves while `step` runs its forward pass (each storage
    once; storages whose data pointer is in `exclude`, the parameters, left out)."""
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor):
        try:
            storage = t.untyped_storage()
            ptr = storage.data_ptr()
            if ptr not in exclude and ptr:
                seen[ptr] = storage.nbytes()
        except (RuntimeError, NotImplementedError):  # a tensor without storage (sparse, meta)
            pass
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        step()
    return sum(seen.values())


def measure_step(model: torch.nn.Module, step: Callable[[], None], device: torch.device, *,
                 repeats: int = 5, budget_s: float = 2.0) -> dict:
    """Fastest wall time (ms) of `step` (forward, backward, optimiser step) after one
    untimed step (which measures the memory and warms up the kernels; two on CUDA), repeated
    up to `repeats` times or until `budget_s` has passed, and the step's memory (MB): CUDA
    peak above the baseline after a first step, or CPU saved activations. The CUDA peak is
    the process's: another run training on the same GPU at once adds to it."""
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    if device.type == "cuda":
        # The first step also allocates what stays for good (gradients, the optimiser's
        # moments, cuDNN's workspace); counted in its peak, they would add a constant to every
        # length and flatten the fitted exponent. So one step first, then the peak of the next.
        step()
        torch.cuda.synchronize(device)
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        step()
        torch.cuda.synchronize(device)
        memory = (torch.cuda.max_memory_allocated(device) - base) / 2**20
    else:
        memory = saved_activation_bytes(step, params) / 2**20
    times = []
    started = time.perf_counter()
    while len(times) < repeats and (not times or time.perf_counter() - started < budget_s):
        t0 = time.perf_counter()
        step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(1000 * (time.perf_counter() - t0))
    return {"ms": min(times), "mb": memory, "timed_steps": len(times)}
