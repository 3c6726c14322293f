"""Device choice and the one seed that fixes data and initial weights.

Everything random in a run comes from the run's seed through a named stream: the training
batches ("train"), the held-out set training stops on ("validation"), the set the page
reports ("test"), the batch the figures probe ("probe"), and so on. Streams are independent
of each other and of other seeds' streams, and a run never draws from a process-wide
generator while it trains, so two runs of the same link at once give the same numbers as
either alone.
"""
from __future__ import annotations

import atexit
import hashlib
import os
import random
import sys
import threading
from typing import Callable, TypeVar

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


# The named streams a run draws from. "train" is the seed itself (the batches every model of
# a run sees, in the same order); the others are derived from (seed, name) by a hash, so the
# held-out set of seed 0 is not the training stream of seed 1, as `seed + 1` would make it.
STREAMS = ("train", "validation", "test", "probe", "noise", "mask", "reference", "examples",
           "information", "statistics", "init")
T = TypeVar("T")


def stream_seed(seed: int, name: str) -> int:
    if name not in STREAMS:
        raise ValueError(f"unknown stream {name!r}; streams: {', '.join(STREAMS)}")
    if name == "train":
        return int(seed)
    digest = hashlib.sha256(f"{int(seed)}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def stream(seed: int, name: str, device: torch.device | None = None) -> torch.Generator:
    """A fresh generator for one named stream of a run: e.g. `stream(seed, "test")`."""
    return seeded_generator(stream_seed(seed, name), device)


_INIT_LOCK = threading.Lock()


def build_seeded(seed: int, factory: Callable[[], T]) -> T:
    """Build a model whose initial weights depend on `seed` alone.

    torch's layer constructors draw their initial weights from the process-wide generator; on
    a server two runs start in parallel threads, and without the lock their draws would
    interleave. Construction is quick, so holding a lock while seeding and building costs
    nothing, and the weights are those a lone run with this seed would get. The process-wide
    state is put back afterwards, so a run leaves it as it found it (a test checks that no
    lab draws from it while training). torch.manual_seed also seeds every CUDA device's
    generator (a factory may build on the GPU), so on a machine with CUDA their states are
    saved and put back too."""
    with _INIT_LOCK:
        saved = random.getstate(), np.random.get_state(), torch.random.get_rng_state()
        cuda_saved = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
        try:
            random.seed(seed)
            np.random.seed(seed % (2**32))
            torch.manual_seed(seed)
            return factory()
        finally:
            random.setstate(saved[0])
            np.random.set_state(saved[1])
            torch.random.set_rng_state(saved[2])
            if cuda_saved is not None:
                torch.cuda.set_rng_state_all(cuda_saved)


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


def exit_process(status: int):
    """End a process that trained models with exit code `status`, once it has printed all it
    says. After models trained side by side in threads, the interpreter's final C++ clean-up
    aborted about one exit in eight ("terminate called without an active exception", exit
    code 134) although every thread had been joined; this skips that clean-up, so the exit
    code is the program's. Python's own exit handlers still run first (a sweep's local Ray
    is shut down by one)."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
