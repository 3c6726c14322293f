"""How long a run took to its first figure and to its whole picture, and the times the
bench measured for each lab's default demo.

One definition serves the bench (core.bench.ProgressClock) and every run a server trains
(core.runs.Run): the first figure is the first progress entry carrying figure data ("live")
or a measurement ("eval"); the whole picture is the end of the run (the headline model, its
rivals and the final scoring). Both count from the moment training starts, so the time a run
waited in the queue is kept apart.

`assets/bench_times.json` ships the bench's numbers for the default demos, with the machine
they were measured on (`python -m core bench --save-times PATH` writes it). No torch here: the
page reads this before torch has loaded.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from core.cpu_name import this_cpu

BENCH_TIMES = Path(__file__).resolve().parents[1] / "assets" / "bench_times.json"


def carries_figure(metrics: dict) -> bool:
    """Whether a progress entry is one the page draws a figure from."""
    return "live" in metrics or bool(metrics.get("eval"))


@dataclass(frozen=True)
class RunTimes:
    """Seconds from the start of training to the first figure (None: the run sent none) and
    to the whole picture, and the seconds it waited in the queue before that start."""
    first_figure_s: float | None
    full_picture_s: float
    queued_s: float = 0.0


def _seconds(value: float) -> str:
    return f"{value:.1f} s"


def times_phrase(first_figure_s: float | None, full_picture_s: float) -> str:
    if first_figure_s is None:
        first = ""
    elif first_figure_s < 0.1:  # "after 0.0 s" reads as a misprint
        first = "first figure in under 0.1 s, "
    else:
        first = f"first figure after {_seconds(first_figure_s)}, "
    return f"{first}the whole picture after {_seconds(full_picture_s)}"


def server_caption(records: list[RunTimes]) -> str:
    """The caption for the runs of one setting that finished on this server (oldest first)."""
    last = records[-1]
    said = f"On this server: {times_phrase(last.first_figure_s, last.full_picture_s)} "
    said += "(last run of these settings"
    if last.queued_s >= 1.0:
        said += f", which waited {last.queued_s:.0f} s in the queue first"
    if len(records) > 1:
        fulls = [r.full_picture_s for r in records]
        said += f"; the last {len(records)} took {min(fulls):.1f}–{max(fulls):.1f} s"
    return said + ")."


def load_bench_times(path: Path = BENCH_TIMES) -> dict:
    """The shipped bench times ({} when the file is missing or unreadable: the page then
    says nothing rather than something made up)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and isinstance(data.get("labs"), dict) else {}


def machine_words(data: dict) -> str:
    """The measuring machine in a few words: "this project's 2-core machine (AMD EPYC,
    AVX2)"."""
    cores = data.get("cpu_cores")
    device = str(data.get("device") or "CPU")
    where = f"this project's {cores}-core machine" if cores else "this project's machine"
    if data.get("cpu"):
        where += f" ({data['cpu']})"
    return where if device.lower() == "cpu" else f"{where} with {device}"


def other_cpu_words(data: dict, here: str) -> str:
    """A sentence when the serving CPU is not the one that measured (else ""): the same
    steps took more than twice as long on one of this project's 2-core machines as on
    another."""
    measured = data.get("cpu")
    if not measured or measured == here:
        return ""
    return f" This server has another CPU ({here}): its times can differ by 2x or more."


def bench_caption(data: dict, lab_id: str) -> str:
    """The caption for a lab's default demo from the shipped bench times ("" without them)."""
    row = (data.get("labs") or {}).get(lab_id)
    if not isinstance(row, dict):
        return ""
    first, full = row.get("first_figure_s"), row.get("full_picture_s")
    if not _finite(full) or (first is not None and not _finite(first)):
        return ""
    return (f"Measured by the bench on {machine_words(data)}: {times_phrase(first, full)} "
            "(this default demo; longer while others train)."
            + other_cpu_words(data, this_cpu()))


def bench_ranges(data: dict) -> tuple[float, float, float] | None:
    """Over every lab's default demo: the latest first figure, and the shortest and longest
    whole picture (None without the shipped times)."""
    rows = [r for r in (data.get("labs") or {}).values() if isinstance(r, dict)]
    firsts = [r["first_figure_s"] for r in rows if _finite(r.get("first_figure_s"))]
    fulls = [r["full_picture_s"] for r in rows if _finite(r.get("full_picture_s"))]
    if not firsts or not fulls:
        return None
    return max(firsts), min(fulls), max(fulls)


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def bench_times_file(rows: list[dict], *, machine: str, cpu_cores: int | None, device: str,
                     torch_version: str, date: str, cpu: str | None = None) -> dict:
    """What `bench --save-times` writes: the machine and, per lab, the two times."""
    return {"machine": machine, "cpu": cpu, "cpu_cores": cpu_cores, "device": device,
            "torch": torch_version, "date": date, "source": "python -m core bench",
            "labs": {r["lab"]: {"first_figure_s": _rounded(r["first_figure_s"]),
                                "full_picture_s": _rounded(r["full_picture_s"]),
                                "success": r["success"]} for r in rows}}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)
