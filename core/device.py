"""Device choice and the one seed that fixes data and initial weights."""
from __future__ import annotations

import random

import numpy as np
import torch

from core import settings


def pick_device() -> torch.device:
    """CUDA, then Apple MPS, then CPU; RNNLAB_DEVICE overrides (e.g. to force cpu). A forced
    device this machine does not have is reported (core.settings) and the choice falls back
    to automatic, so a typo in the environment cannot fail every run."""
    forced = settings.device_override()
    if forced is not None:
        if _available(forced):
            return torch.device(forced)
        settings.note_problem(settings.DEVICE, f"RNNLAB_DEVICE={forced} is not available on this machine; "
                              "choosing the device automatically instead.")
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _available(name: str) -> bool:
    if name == "cpu":
        return True
    if name.startswith("cuda"):
        index = int(name.partition(":")[2] or 0)
        return torch.cuda.is_available() and index < torch.cuda.device_count()
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


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
    threads = settings.torch_threads()
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads
