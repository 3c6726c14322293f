"""Results computed ahead of a lecture: `python -m core precompute` runs every preset of
every lab and stores each Result as JSON, keyed by a hash of its exact configuration, so a
page whose knobs match a stored run shows it at once (and can still retrain live).
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from core import settings
from core.contract import ConfigError, Result, config_dict

ROOT = Path(__file__).resolve().parents[1]


class NoCacheError(OSError):
    """No directory to keep precomputed runs in: RNNLAB_CACHE is not accepted, or unset on
    an account without a home directory."""


def cache_dir() -> Path:
    found = settings.cache_dir()
    if found is None:
        raise NoCacheError("no cache directory: set RNNLAB_CACHE to a directory path"
                           + (" (its value is not accepted)" if settings.CACHE.name in os.environ
                              else ""))
    return found


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of every source file under core/: a stored run made by other code (a model
    or a measurement changed since) no longer matches, so it is never shown as current."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "core").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def config_hash(lab_id: str, config) -> str:
    payload = json.dumps({"lab": lab_id, "config": config_dict(config), "code": code_version()},
                         sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def cached_path(lab_id: str, config) -> Path:
    return cache_dir() / lab_id / f"{config_hash(lab_id, config)}.json"


# The shape a stored Result must have before a page may draw from it.
_FIELD_TYPES = {"lab": str, "config": dict, "metrics": dict, "status": str, "history": list,
                "arrays": dict, "message": str}


def load_cached(lab_id: str, config) -> Result | None:
    """The stored Result for exactly this configuration, or None. A file that cannot be read,
    does not parse, or does not hold a Result of this lab is treated as
    absent (the cache is only an accelerator). The configuration itself is in the file's
    name (a hash of it), so it is not compared again here."""
    try:
        path = cached_path(lab_id, config)
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            return None
        result = Result.from_dict(data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
    if any(not isinstance(getattr(result, name, None), kind)
           for name, kind in _FIELD_TYPES.items()):
        return None
    return result if result.lab == lab_id else None


def store(result: Result, lab_id: str, config) -> Path:
    """Write atomically: a unique temporary file in the same directory, then os.replace, so
    a reader never sees half a file and two writers never share a temporary file."""
    path = cached_path(lab_id, config)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(result.to_json())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def check_preset_names(labs, preset_names) -> None:
    """Raise ConfigError when a requested preset is a preset of none of `labs`."""
    known = {preset.name for lab in labs for preset in lab.presets}
    unknown = [name for name in preset_names or () if name not in known]
    if unknown:
        raise ConfigError(f"no preset named {', '.join(map(repr, unknown))} in "
                          f"{', '.join(lab.id for lab in labs)}; presets: "
                          + ", ".join(repr(name) for name in sorted(known)))


def precompute(labs, preset_names=None, overrides=None, log=print) -> list[Path]:
    """Run each lab's presets (all, or those named) and store their Results, with a line
    per preset as it finishes. Preset names and the cache directory are checked before
    anything trains (a typo fails at once, not after an hour)."""
    check_preset_names(labs, preset_names)
    where = cache_dir()
    chosen = [(lab, preset) for lab in labs for preset in lab.presets
              if not preset_names or preset.name in preset_names]
    log(f"precompute: {len(chosen)} presets into {where}")
    written = []
    for number, (lab, preset) in enumerate(chosen, 1):
        config = lab.make_config({**preset.overrides, **(overrides or {})})
        result = lab.run(config)
        written.append(store(result, lab.id, config))
        log(f"[{number}/{len(chosen)}] {lab.id} / {preset.name}: {result.status}, "
            f"success={result.success}, {result.wall_s:.1f}s -> {written[-1]}")
    return written
