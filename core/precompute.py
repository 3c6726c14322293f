"""Results computed ahead of a lecture: `python -m core precompute` runs every preset of
every lab and stores each Result as JSON, keyed by a hash of its exact configuration, so a
page whose knobs match a stored run shows it at once (and can still retrain live).
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

from core.contract import Result, config_dict

ROOT = Path(__file__).resolve().parents[1]


def cache_dir() -> Path:
    return Path(os.environ.get("RNNLAB_CACHE", ROOT / "cache"))


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


def load_cached(lab_id: str, config) -> Result | None:
    """The stored Result for exactly this configuration, or None. A file that does not parse
    is treated as absent (the cache is only an accelerator)."""
    path = cached_path(lab_id, config)
    if not path.is_file():
        return None
    try:
        return Result.from_dict(json.loads(path.read_text()))
    except (ValueError, TypeError):
        return None


def store(result: Result, lab_id: str, config) -> Path:
    path = cached_path(lab_id, config)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(result.to_json())
    tmp.replace(path)  # atomic: a reader never sees half a file
    return path


def precompute(labs, preset_names=None, overrides=None, log=print) -> list[Path]:
    """Run each lab's presets (all, or those named) and store their Results."""
    written = []
    for lab in labs:
        for preset in lab.presets:
            if preset_names and preset.name not in preset_names:
                continue
            config = lab.make_config({**preset.overrides, **(overrides or {})})
            result = lab.run(config)
            written.append(store(result, lab.id, config))
            log(f"{lab.id} / {preset.name}: {result.status}, success={result.success}, "
                f"{result.wall_s:.1f}s -> {written[-1]}")
    return written
