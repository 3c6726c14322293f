"""A sweep's points on disk, one JSON line each, written as each point finishes.

The first line names the sweep (`SweepPlan.identity()`); every later line is one point's
record. Each line is flushed and fsynced before the next point is counted, so a sweep that
is killed keeps every point it reported. Resuming reads the file back (JSON only, nothing is
unpickled), refuses a file made by a different grid, and returns the finished points; a torn
last line (the process died mid-write) is skipped, and the latest record of a point wins.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from core.contract import ConfigError

FORMAT = "rnnlab-sweep/1"


class PointStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def append(self, record: dict) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, allow_nan=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())


def create_store(path: str | Path, plan) -> PointStore:
    """A new point file for this plan; an existing file is never overwritten."""
    path = Path(path)
    if path.exists():
        raise ConfigError(f"--out: {path} already exists; continue it with --resume {path} "
                          f"or choose another file")
    header = {"format": FORMAT, "sweep": plan.identity(), "metric": plan.metric}
    try:
        path.write_text(json.dumps(header) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--out: cannot write {path}: {exc.strerror}") from None
    return PointStore(path)


def _describe_difference(saved: dict, wanted: dict) -> str | None:
    if saved.get("lab") != wanted["lab"]:
        return f"it is a sweep of {saved.get('lab')!r}, not {wanted['lab']!r}"
    saved_vary = {k: v for k, v in saved.get("vary", [])}
    wanted_vary = {k: v for k, v in wanted["vary"]}
    if set(saved_vary) != set(wanted_vary):
        return (f"it varies {', '.join(saved_vary) or 'nothing'}, this sweep varies "
                f"{', '.join(wanted_vary)}")
    for name, values in wanted_vary.items():
        if sorted(map(json.dumps, saved_vary[name])) != sorted(map(json.dumps, values)):
            return (f"it varies {name} over {', '.join(map(str, saved_vary[name]))}, this sweep "
                    f"over {', '.join(map(str, values))}")
    if saved.get("seeds") != wanted["seeds"]:
        return f"it has seeds {saved.get('seeds')}, this sweep {wanted['seeds']}"
    if saved.get("overrides") != wanted["overrides"]:
        return f"it fixes {saved.get('overrides')}, this sweep {wanted['overrides']}"
    return None


def _saved_sweep(header: dict, path: Path) -> dict:
    """The header's description of its sweep, checked for the shape _describe_difference
    reads (a dict whose "vary" is a list of [knob, values] pairs), else ConfigError."""
    saved = header.get("sweep")
    problem = None
    if not isinstance(saved, dict):
        problem = f'its "sweep" is {type(saved).__name__}, not an object'
    elif not isinstance(saved.get("vary", []), list) or not all(
            isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)
            and isinstance(pair[1], list) for pair in saved.get("vary", [])):
        problem = 'its "vary" is not a list of [knob, values] pairs'
    if problem:
        raise ConfigError(f"--resume: {path} is not a sweep point file this version can read "
                          f"({problem})")
    return saved


def resume_store(path: str | Path, plan) -> tuple[PointStore, list[dict]]:
    """The store to keep appending to, and the points already finished ("ok") in it."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"--resume: no such file {path}")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise ConfigError(f"--resume: {path} is not a sweep point file (it is not UTF-8 "
                          f"text)") from None
    except OSError as exc:
        raise ConfigError(f"--resume: cannot read {path}: {exc.strerror}") from None
    try:
        header = json.loads(lines[0]) if lines else {}
    except (ValueError, RecursionError):
        header = {}
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ConfigError(f"--resume: {path} is not a sweep point file (its first line "
                          f"should name the format {FORMAT})")
    difference = _describe_difference(_saved_sweep(header, path), plan.identity())
    if difference:
        raise ConfigError(f"--resume: {path} holds a different grid: {difference}")
    wanted = {p.key for p in plan.points()}
    latest: dict[str, dict] = {}
    for line in lines[1:]:
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue  # a line cut short when the process died
        if (isinstance(record, dict) and isinstance(record.get("key"), str)
                and record["key"] in wanted and isinstance(record.get("metrics"), dict)
                and isinstance(record.get("combo"), dict)):
            latest[record["key"]] = record
    done = [r for r in latest.values() if r.get("status") == "ok"]
    if lines and not path.read_bytes().endswith(b"\n"):
        with path.open("a", encoding="utf-8") as fh:  # end the torn line before appending
            fh.write("\n")
    return PointStore(path), done
