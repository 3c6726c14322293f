"""Every RNNLAB_* environment setting, read and checked in one place.

A bad value never stops the app or the command line: the setting falls back to its default,
and `settings_problems()` names the setting, the value it held and what it accepts (the app's
sidebar shows these; `python -m core` prints them to stderr). Values are read on every call,
so a test or an operator changing the environment sees the change at once; a read is a dict
lookup and a parse, far cheaper than anything that asks for it.

No torch here: the router imports this module (through core.runs) before torch is loaded.
"""
from __future__ import annotations

import math
import os
import re
import reprlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    parse: Callable[[str], object]  # raises ValueError when the text is not accepted
    accepts: str  # what the message says is accepted
    # What happens instead of a value not accepted, when it is not "Using the default".
    instead: str = ""


class Refused(ValueError):
    """A value not accepted, with the reason the message gives (other ValueErrors, such as
    int()'s, would only repeat the value)."""


def _whole_number(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text.strip())  # int(" 3 ") is 3; int("3.0") and int("two") raise
        if not lo <= value <= hi:
            raise ValueError
        return value
    return parse


def _seconds(lo: float, hi: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = float(text.strip())
        if not math.isfinite(value) or not lo <= value <= hi:  # nan fails both comparisons
            raise ValueError
        return value
    return parse


_DEVICE = re.compile(r"(cpu|mps|cuda(:\d{1,2})?)")


def _device(text: str) -> str | None:
    value = text.strip().lower()
    if value in ("", "auto"):
        return None
    if not _DEVICE.fullmatch(value):
        raise ValueError
    return value


def _directory(text: str) -> Path:
    """A directory that exists or can be made; the reason a path cannot be one is named
    (a file, an unknown user's home, a name longer than the file system allows)."""
    if not text.strip() or "\0" in text:
        raise Refused("empty" if not text.strip() else "it holds a NUL character")
    try:
        path = Path(text).expanduser()
    except RuntimeError:  # "~someone" without such a user, or no home directory at all
        raise Refused(f"{text.split('/')[0][:40]!r} names no home directory here") from None
    try:
        is_file = path.exists() and not path.is_dir()
    except OSError as exc:  # ENAMETOOLONG, ELOOP, EACCES on a parent
        raise Refused(exc.strerror or type(exc).__name__) from None
    if is_file:
        raise Refused("it is a file")
    return path


def user_cache_dir() -> Path | None:
    """Where precomputed runs go when RNNLAB_CACHE is unset: outside the checkout, in the
    user's cache directory ($XDG_CACHE_HOME/rnnlab, else ~/.cache/rnnlab); None when this
    account has no home directory."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and Path(xdg).is_absolute() and "\0" not in xdg:
        return Path(xdg) / "rnnlab"
    try:
        return Path.home() / ".cache" / "rnnlab"
    except (RuntimeError, KeyError):
        return None


def _ray_address(text: str) -> str | None:
    value = text.strip()
    if not value:
        return None
    host, sep, port = value.rpartition(":")
    if "://" in value or (sep and host and port.isdigit() and 0 < int(port) < 65536):
        return value
    raise ValueError


def _one_of(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in choices:
            raise ValueError
        return value
    return parse


MAX_RUNS = Setting("RNNLAB_MAX_RUNS", 2, _whole_number(1, 64),
                   "a whole number of training slots from 1 to 64")
# One browser tab is one session. Two lets a student compare two runs side by side.
MAX_RUNS_PER_SESSION = Setting("RNNLAB_MAX_RUNS_PER_SESSION", 2, _whole_number(1, 100),
                               "a whole number of runs from 1 to 100")
# A class behind one NAT router reaches the server from a single address, so this must
# cover every student at once (30 students with 2 runs each); it stops one scripted client,
# not a classroom. Connections from the server's own machine report no address and are not
# counted (Streamlit gives None for loopback, e.g. behind a reverse proxy on the same host).
MAX_RUNS_PER_ADDRESS = Setting("RNNLAB_MAX_RUNS_PER_ADDRESS", 60, _whole_number(1, 10_000),
                               "a whole number of runs from 1 to 10000")
# Runs waiting for a slot, over the whole server. Past this a new run is refused at once
# rather than queued behind an hour of others.
MAX_QUEUE = Setting("RNNLAB_MAX_QUEUE", 100, _whole_number(0, 10_000),
                    "a whole number of waiting runs from 0 to 10000")
TORCH_THREADS = Setting("RNNLAB_TORCH_THREADS", 1, _whole_number(1, 256),
                        "a whole number of threads from 1 to 256")
MAX_RUN_S = Setting("RNNLAB_MAX_RUN_S", 600.0, _seconds(1, 86_400),
                    "a number of seconds from 1 to 86400")
# The page polls a queued run every 2 s at most; below 3 s a watched run could look abandoned.
ABANDON_S = Setting("RNNLAB_ABANDON_S", 30.0, _seconds(3, 86_400),
                    "a number of seconds from 3 to 86400")
# Default None: the user's cache directory (user_cache_dir), read when asked for.
CACHE = Setting("RNNLAB_CACHE", None, _directory,
                "a directory path (an existing file is not accepted)",
                instead="Running without the precomputed cache instead.")
DEVICE = Setting("RNNLAB_DEVICE", None, _device,
                 "cpu, cuda, cuda:N, mps or auto")

# A Ray cluster to run sweeps and live runs on; unset: sweeps use an embedded Ray and live
# runs train in this process's threads.
RAY_ADDRESS = Setting("RNNLAB_RAY_ADDRESS", None, _ray_address,
                      "host:port of a Ray cluster's head (or a ray:// address), or empty")
# The page's sweeps: where their points run (auto = Ray when it starts, else this process),
# how many run at once, and the largest grid a page accepts. A sweep holds one training slot,
# so on an embedded Ray it runs one point at a time unless the operator allows more.
SWEEP_ENGINE = Setting("RNNLAB_SWEEP_ENGINE", "auto", _one_of("auto", "ray", "local"),
                       "auto, ray or local")
SWEEP_PARALLEL = Setting("RNNLAB_SWEEP_PARALLEL", 1, _whole_number(1, 4096),
                         "a whole number of points at once from 1 to 4096")
MAX_SWEEP_POINTS = Setting("RNNLAB_MAX_SWEEP_POINTS", 60, _whole_number(1, 5000),
                           "a whole number of points from 1 to 5000")
# Cores an embedded Ray may use; default None: the cores this process may run on.
RAY_CPUS = Setting("RNNLAB_RAY_CPUS", None, _whole_number(1, 4096),
                   "a whole number of cores from 1 to 4096")
# 0 when a cluster's nodes already have this code installed; 1 ships the checkout to them.
RAY_SHIP_CODE = Setting("RNNLAB_RAY_SHIP_CODE", "1", _one_of("0", "1"), "0 or 1")

# Behind a reverse proxy on the server's own machine every connection comes from loopback,
# which Streamlit reports as no address. RNNLAB_TRUSTED_PROXY=1 says such a proxy is there and
# sets X-Forwarded-For, so the per-address limit counts the client it names; unset, the
# header is ignored (any client could write it).
TRUSTED_PROXY = Setting("RNNLAB_TRUSTED_PROXY", "0", _one_of("0", "1"), "0 or 1")

ALL = (MAX_RUNS, MAX_RUNS_PER_SESSION, MAX_RUNS_PER_ADDRESS, MAX_QUEUE, TORCH_THREADS,
       MAX_RUN_S, ABANDON_S, CACHE, DEVICE, RAY_ADDRESS, SWEEP_ENGINE, SWEEP_PARALLEL,
       MAX_SWEEP_POINTS, RAY_CPUS, RAY_SHIP_CODE, TRUSTED_PROXY)

_notes_lock = threading.Lock()
# Problems found while using a value, by (setting, the text it held): shown while it holds it.
_notes: dict[tuple[str, str | None], str] = {}


def read(setting: Setting):
    """The setting's value from the environment, or its default when unset or not accepted."""
    value, _ = _read(setting)
    return value


def _read(setting: Setting) -> tuple[object, str | None]:
    raw = os.environ.get(setting.name)
    if raw is None:
        return setting.default, None
    try:
        return setting.parse(raw), None
    except (ValueError, OverflowError, RuntimeError, OSError) as exc:
        # Any failure to read a value is the value's problem, never the page's: a traceback
        # here would stand on every page in place of the Train button.
        default = setting.default
        if default is None:
            default = "automatic"
        elif isinstance(default, float) and default.is_integer():
            default = int(default)  # "600", not "600.0"
        reason = exc.args[0] if isinstance(exc, Refused) and exc.args else ""
        reason = f" ({reason[:80]})" if isinstance(reason, str) and reason else ""
        instead = setting.instead or f"Using the default ({default}) instead."
        return setting.default, (f"{setting.name}={reprlib.repr(raw)} is not accepted"
                                 f"{reason}: expected {setting.accepts}. {instead}")


def note_problem(setting: Setting, message: str) -> None:
    """Record a problem found while using a valid-looking value (e.g. RNNLAB_DEVICE=cuda
    on a machine without CUDA), so `settings_problems()` reports it while the value stays."""
    with _notes_lock:
        _notes[(setting.name, os.environ.get(setting.name))] = message


def settings_problems() -> list[str]:
    """One message per setting that was ignored, naming it and the accepted range."""
    problems = [message for _, message in map(_read, ALL) if message]
    with _notes_lock:
        return problems + [message for (name, raw), message in _notes.items()
                           if os.environ.get(name) == raw]


def max_runs() -> int:
    return read(MAX_RUNS)


def max_runs_per_session() -> int:
    return read(MAX_RUNS_PER_SESSION)


def max_runs_per_address() -> int:
    return read(MAX_RUNS_PER_ADDRESS)


def max_queue() -> int:
    return read(MAX_QUEUE)


def torch_threads() -> int:
    return read(TORCH_THREADS)


def max_run_seconds() -> float:
    return read(MAX_RUN_S)


def abandon_seconds() -> float:
    return read(ABANDON_S)


def cache_dir() -> Path | None:
    """Where precomputed runs are kept; None (no cache) when RNNLAB_CACHE is not accepted,
    so a bad path costs the cache and nothing else."""
    raw = os.environ.get(CACHE.name)
    if raw is None:
        return user_cache_dir()
    value, problem = _read(CACHE)
    return None if problem else value


def device_override() -> str | None:
    """None: choose automatically (CUDA, then MPS, then CPU)."""
    return read(DEVICE)


def ray_address() -> str | None:
    return read(RAY_ADDRESS)


def sweep_engine() -> str:
    return read(SWEEP_ENGINE)


def sweep_parallel() -> int:
    return read(SWEEP_PARALLEL)


def max_sweep_points() -> int:
    return read(MAX_SWEEP_POINTS)


def ray_cpus() -> int | None:
    """None: as many as this process may use."""
    return read(RAY_CPUS)


def ray_ship_code() -> bool:
    return read(RAY_SHIP_CODE) == "1"




def trusted_proxy() -> bool:
    return read(TRUSTED_PROXY) == "1"
