"""A class on one server, measured with the server's own clock: `python tests/probe_class.py`.

30 sessions (Streamlit's AppTest, each its own session state, in this one process, which is
the server: the registry of runs, the slots and the clock are the ones a `streamlit run`
process has): 20 press Train on the same preset, 10 on different settings (other seeds). A
watcher thread reads every session's run the way its page's fragment does (every 0.25 s) and
records, from the server's monotonic clock, each viewer's time from its click to its first
trained step in view. Meanwhile newcomers open the home page; their script time is the
server's side of a first visit. No browser shares the cores; nothing leaves this process.

Bounded: a fixed number of sessions, each wait with a deadline (`DEADLINE_S`); it prints the
figures and writes them as JSON to $RNNLAB_PROBE_REPORT when set. Run by hand, not in the
suite (it loads the machine for a minute); tests/test_probe_class.py runs a tiny version.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEADLINE_S = 600.0
POLL_S = 0.25  # the live fragment's fast timer (ui.run_panel.POLL_FIRST_S)
PRESET_LAB, PRESET = "gradients", {}  # the lab's default demo, as "press Train on the preset"
OTHER_LAB = "bidirectional"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def session(lab_id: str, params: dict):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "pages" / f"{lab_id}.py"), default_timeout=120)
    for key, value in params.items():
        if key == "seed":  # the router applies a link's seed; a page alone reads the state
            at.session_state["seed"] = int(value)
        else:
            at.query_params[key] = str(value)
    at.run()
    if at.exception:
        raise RuntimeError(f"{lab_id}: {at.exception}")
    return at


def newcomer(script: Path) -> None:
    """A first visit: the router and its default page, the home page."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(script), default_timeout=120)
    at.run()
    if at.exception:
        raise RuntimeError(f"home page: {at.exception}")


def started_server(script: Path) -> None:
    """The server as a class finds it: started, its warm-up (torch, the labs, a first
    optimiser step) done, and the home page seen once, by the lecturer."""
    from core import warmup
    newcomer(script)  # app.py starts the warm-up, as `streamlit run` does
    deadline = time.monotonic() + 120
    while warmup.device_label_if_ready() is None and time.monotonic() < deadline:
        time.sleep(0.05)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def probe(same: int = 20, different: int = 10, newcomers: int = 10,
          same_lab: str = PRESET_LAB, same_params: dict | None = None,
          other_lab: str = OTHER_LAB, other_params: dict | None = None) -> dict:
    from core.runs import SLOTS
    from core.shared_runs import SHARED
    started_server(ROOT / "app.py")
    started_before = SHARED.live()
    plan = ([(same_lab, dict(same_params or PRESET))] * same
            + [(other_lab, {**(other_params or {}), "seed": 100 + i}) for i in range(different)])
    sessions = [(lab_id, session(lab_id, params)) for lab_id, params in plan]
    clicks: dict[int, float] = {}
    first_step: dict[int, float] = {}
    viewers: dict[int, object] = {}
    finished: set[int] = set()
    peak = {"rss": rss_mb(), "live": 0}
    stop = threading.Event()

    def watch() -> None:  # every open page's fragment, on its timer
        while not stop.is_set():
            for i, viewer in list(viewers.items()):
                snap = viewer.snapshot()
                if i not in first_step and snap.history:
                    first_step[i] = time.monotonic()
                if snap.finished:
                    finished.add(i)
            peak["rss"] = max(peak["rss"], rss_mb())
            peak["live"] = max(peak["live"], SHARED.live())
            time.sleep(POLL_S)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    t0 = time.monotonic()
    for i, (lab_id, at) in enumerate(sessions):
        clicks[i] = time.monotonic()
        at.button(key=f"train:{lab_id}").click().run()
        if f"run:{lab_id}" in at.session_state:
            viewers[i] = at.session_state[f"run:{lab_id}"]
        else:  # shown at once: the same run had already finished
            first_step[i] = time.monotonic()
            finished.add(i)
    home = []
    for _ in range(newcomers):  # newcomers arrive while the class trains
        begin = time.monotonic()
        newcomer(ROOT / "app.py")
        home.append(time.monotonic() - begin)
    deadline = t0 + DEADLINE_S
    while len(finished) < len(sessions) and time.monotonic() < deadline:
        time.sleep(POLL_S)
    stop.set()
    watcher.join(5)
    end = time.monotonic()
    unfinished = len(sessions) - len(finished)
    for viewer in viewers.values():  # past the deadline: every page closes, as at a lesson's end
        viewer.stop()
    slots_deadline = time.monotonic() + 60
    while (SLOTS.active or SLOTS.waiting) and time.monotonic() < slots_deadline:
        time.sleep(0.1)
    runs = {id(v.run) for v in viewers.values()}
    same_ids = range(same)
    to_first = {i: first_step[i] - clicks[i] for i in first_step}
    same_waits = [to_first[i] for i in same_ids if i in to_first]
    other_waits = [to_first[i] for i in range(same, len(sessions)) if i in to_first]
    return {
        "sessions": len(sessions),
        "runs_trained": len(runs),
        "runs_trained_same_preset": len({id(viewers[i].run) for i in same_ids if i in viewers}),
        "viewers_with_a_first_step": len(to_first),
        "same_preset_click_to_first_step_s": {"max": max(same_waits, default=None),
                                              "p50": statistics.median(same_waits)
                                              if same_waits else None},
        "different_click_to_first_step_s": {"max": max(other_waits, default=None),
                                            "p50": statistics.median(other_waits)
                                            if other_waits else None},
        "all_finished": len(finished) == len(sessions),
        "unfinished_at_deadline_then_stopped": unfinished,
        "wall_s": end - t0,
        "home_page_s": {"p50": statistics.median(home) if home else None,
                        "p95": percentile(home, 0.95) if home else None},
        "server_rss_mb_peak": peak["rss"],
        "slots_after": {"active": SLOTS.active, "waiting": SLOTS.waiting},
        "live_runs_before": started_before,
        "click_at_s": [round(clicks[i] - t0, 2) for i in range(len(sessions))],
        "first_step_at_s": [round(first_step[i] - t0, 2) if i in first_step else None
                            for i in range(len(sessions))],
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg()[0],
    }


def emit(report: dict) -> None:
    """Print the figures as JSON, and write them to $RNNLAB_PROBE_REPORT when it is set."""
    text = json.dumps(report, indent=1)
    print(text)
    if os.environ.get("RNNLAB_PROBE_REPORT"):
        Path(os.environ["RNNLAB_PROBE_REPORT"]).write_text(text)


def main() -> int:
    report = probe()
    emit(report)
    return 0 if report["all_finished"] and not any(report["slots_after"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
