"""Device choice and the one seed that fixes data and initial weights."""
from __future__ import annotations

import os
import random

import numpy as np
import torch


def pick_device() -> torch.device:
    """CUDA, then Apple MPS, then CPU; RNNLAB_DEVICE overrides (e.g. to force cpu)."""
    forced = os.environ.get("RNNLAB_DEVICE")
    if forced:
        return torch.device(forced)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def device_label(device: torch.device | None = None) -> str:
    device = device or pick_device()
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    return {"mps": "Apple MPS", "cpu": "CPU"}.get(device.type, device.type)


def seeded_generator(seed: int, device: torch.device | None = None) -> torch.Generator:
    """A generator for data, separate from the weights' stream, so changing a model knob
    does not change the data a run sees."""
    gen = torch.Generator(device=device or "cpu")
    gen.manual_seed(int(seed))
    return gen


def seed_everything(seed: int) -> None:
    """Seed the global streams that weight initialisation draws from."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def configure_threads() -> int:
    """One intra-op thread per process unless RNNLAB_TORCH_THREADS says otherwise.

    The models here are small: a step is dozens of tiny kernels, where a second thread adds
    synchronisation cost, and a server runs several trainings at once on few cores, where
    extra threads per run only oversubscribe them (`python -m core bench` measures it).
    """
    threads = max(1, int(os.environ.get("RNNLAB_TORCH_THREADS", "1")))
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads
