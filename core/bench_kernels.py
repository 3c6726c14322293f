"""Cost of looking inside: the instrumented step-by-step replay against PyTorch's fused
kernel for the same cell and sizes, and training throughput against torch's thread count.

The labs train on the fused kernels and replay the weights step by step only to measure
(every `eval_every` steps), so both the per-step ratio and its amortised share are reported.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

from core.models.instrumented import unroll
from core.models.recurrent import RecurrentClassifier


def _time_per_call(fn, repeats: int) -> float:
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def instrumented_vs_fused(cell: str, hidden=64, seq_len=80, batch=64, inputs=5,
                          repeats=20) -> dict:
    """Seconds per forward+backward step, fused kernel vs the instrumented replay."""
    torch.manual_seed(0)
    model = RecurrentClassifier(cell, inputs, hidden, 4)
    x = torch.randn(batch, seq_len, inputs)
    y = torch.randint(0, 4, (batch,))

    def fused():
        model.zero_grad()
        F.cross_entropy(model(x)[:, -1], y).backward()

    def instrumented():
        model.zero_grad()
        F.cross_entropy(unroll(model, x).logits[:, -1], y).backward()

    t_fused = _time_per_call(fused, repeats)
    t_inst = _time_per_call(instrumented, repeats)
    return {"cell": cell, "fused_ms": 1e3 * t_fused, "instrumented_ms": 1e3 * t_inst,
            "ratio": t_inst / t_fused}


def thread_throughput(threads: int, concurrent: int, steps: int = 300) -> dict:
    """Aggregate training steps per second of `concurrent` runs of the Gradient Flow lab,
    each its own process with `threads` intra-op threads."""
    cmd = [sys.executable, "-m", "core", "run", "gradients", "--json",
           "--set", "compare_cells=false", "--set", f"steps={steps}",
           "--set", "eval_every=500", "--set", "cell=lstm", "--set", "lag=200",
           "--set", "seq_len=80"]
    env = {**os.environ, "RNNLAB_TORCH_THREADS": str(threads)}
    start = time.perf_counter()
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env) for _ in range(concurrent)]
    done_steps = sum(json.loads(p.communicate()[0])["steps"] for p in procs)
    wall = time.perf_counter() - start
    return {"threads": threads, "concurrent": concurrent, "steps_per_s": done_steps / wall}
