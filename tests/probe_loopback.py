"""A class on a real server, over loopback, without a browser: `python tests/probe_loopback.py`.

tests/probe_class.py measures a class inside the server's own process (AppTest sessions).
This probe starts `streamlit run app.py` on a free port of 127.0.0.1 (tests/browser_server.py)
and opens 30 sessions as lightweight clients speaking Streamlit's own protocol over its
websocket (`/_stcore/stream`, subprotocol "streamlit": BackMsg `rerun_script` up, ForwardMsg
deltas down), doing what the browser's frontend does and nothing more:

- a first rerun names the page by its URL path (`page_name`), later ones by the
  `page_script_hash` of the page `st.navigation` shows (the server's `navigation` message);
  the query string follows the URL the page writes (`page_info_changed`), as the address bar
  does;
- Train is a rerun carrying the button's `trigger_value` (its widget id ends with its key);
- every `auto_rerun` (an `st.fragment(run_every=…)`: the live view, the page's heartbeat)
  is re-sent as a fragment rerun on its interval, a fixed cadence like the frontend's
  `setInterval`, until `stop_auto_rerun` or the next full run clears it. Without that the
  live view never refreshes and the server abandons the run after RNNLAB_ABANDON_S.

No cookie is sent, so each session is its own browser to the fair queue (ui/client.py), as
thirty students' browsers are.

Everything reported is what the pages show, timed on this process's monotonic clock (same
machine as the server): a run was trained for a click unless its page said it joins a run
already training ("…already training exactly this run…") or shows one that just finished;
the first live step in view is the first "Training — step N" (N ≥ 1) the live view draws (or
the finished run itself, when it finished before a redraw showed a step); the slots are the
sidebar's "Training now: A of B slots …, W waiting", read from a fresh home page at the end.
The server's resident memory is sampled from /proc (its peak). A newcomer's home page is a
fresh connection until its first full script run has finished (`script_finished`), the
server's side of a first visit (no browser assets, no drawing).

Bounded: a fixed number of sessions, every wait with a deadline (`DEADLINE_S` for the class),
every page closed and the server stopped at the end. Prints the figures as JSON and writes
them to $RNNLAB_PROBE_REPORT when set. Run by hand, not in the suite (it loads the machine for
minutes); tests/test_probe_loopback.py runs a tiny version.
"""
from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser_server import app_server, rss_mb  # noqa: E402
from loopback_client import Page  # noqa: E402
from probe_class import emit, percentile  # noqa: E402

DEADLINE_S = 600.0  # the class: from the clicks to every run finished
OPEN_DEADLINE_S = 180.0  # all pages of the class open
PAGE_DEADLINE_S = 120.0  # one page's script run (a click's, a newcomer's)
WARMUP_DEADLINE_S = 120.0  # the server's warm-up: the sidebar names the device
SLOTS_DEADLINE_S = 90.0  # after the pages close: abandoned runs stop (RNNLAB_ABANDON_S, 30 s)
PRESET_LAB, PRESET = "gradients", {}  # the lab's default demo, as "press Train on the preset"
OTHER_LAB = "bidirectional"


def _spread(values: list[float]) -> dict:
    return {"p50": statistics.median(values) if values else None,
            "max": max(values, default=None)}


async def home_page(port: int, deadline: float) -> tuple[float, Page]:
    page = Page(port, "")
    try:
        return await page.open(deadline), page
    finally:
        await page.close()


async def _class(port: int, pid: int, plan: list[tuple[str, dict]], newcomers: int) -> dict:
    peak = {"rss": rss_mb(pid)}

    async def sample() -> None:
        while True:
            peak["rss"] = max(peak["rss"], rss_mb(pid))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    # the server as a class finds it: the lecturer's home page seen, the warm-up done
    lecturer = Page(port, "")
    warm_deadline = time.monotonic() + WARMUP_DEADLINE_S
    await lecturer.open(warm_deadline)
    while not lecturer.device and time.monotonic() < warm_deadline:
        await asyncio.sleep(0.5)
        runs = lecturer.full_runs
        await lecturer.rerun()
        await lecturer.wait(lambda: lecturer.full_runs > runs, warm_deadline)
    device, slots_before = lecturer.device, lecturer.slots
    await lecturer.close()

    pages = [Page(port, lab_id, urlencode(params)) for lab_id, params in plan]
    open_deadline = time.monotonic() + OPEN_DEADLINE_S
    opened = await asyncio.gather(*(p.open(open_deadline) for p in pages))
    t0 = time.monotonic()
    click_deadline = t0 + PAGE_DEADLINE_S
    await asyncio.gather(*(p.click(f"train:{lab_id}", click_deadline)
                           for p, (lab_id, _) in zip(pages, plan)))
    clicked = time.monotonic()
    home = []
    for _ in range(newcomers):  # newcomers arrive while the class trains
        seconds, _ = await home_page(port, time.monotonic() + PAGE_DEADLINE_S)
        home.append(seconds)
    deadline = t0 + DEADLINE_S
    while not all(p.done for p in pages) and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
    end = time.monotonic()
    unfinished = sum(not p.done for p in pages)
    for page in pages:  # past the deadline: every tab closes, as at a lesson's end
        await page.close()
    slots_deadline = time.monotonic() + SLOTS_DEADLINE_S
    while True:
        _, fresh = await home_page(port, slots_deadline)
        if fresh.slots and fresh.slots[0] == 0 and fresh.slots[2] == 0 \
                or time.monotonic() >= slots_deadline:
            break
        await asyncio.sleep(1.0)
    slots_after_at = time.monotonic() - end
    sampler.cancel()

    same = [p for p, (lab_id, params) in zip(pages, plan) if (lab_id, params) == plan[0]]
    others = [p for p in pages if p not in same]
    to_first = [p.first_step_at - p.clicked_at if p.first_step_at else None for p in pages]
    return {
        "sessions": len(pages),
        "runs_trained": sum(p.trained_here for p in pages),
        "runs_trained_same_preset": sum(p.trained_here for p in same),
        "joined_a_run_training": sum(p.joined for p in pages),
        "shown_a_run_just_finished": sum(p.shown for p in pages),
        "refused": sum(p.refused for p in pages),
        "most_pages_watching_one_run_in_the_sidebar": max(p.watching_max for p in pages),
        "viewers_with_a_first_step": sum(t is not None for t in to_first),
        "first_step_seen_in_the_live_view": sum(p.first_step_from == "live view"
                                                for p in pages),
        "same_preset_click_to_first_step_s": _spread(
            [t for p, t in zip(pages, to_first) if p in same and t is not None]),
        "different_click_to_first_step_s": _spread(
            [t for p, t in zip(pages, to_first) if p in others and t is not None]),
        "click_to_its_page_run_s": _spread([p.click_run_s for p in pages]),
        "all_clicks_answered_s": clicked - t0,
        "lab_page_open_s": _spread(list(opened)),
        "all_finished": all(p.finished_at is not None or p.refused for p in pages),
        "unfinished_at_deadline_then_closed": unfinished,
        "how_runs_ended_by_page": dict(Counter(p.ended for p in pages if p.ended)),
        "wall_s": end - t0,
        "home_page_s": {"p50": statistics.median(home) if home else None,
                        "p95": percentile(home, 0.95) if home else None},
        "server_rss_mb_peak": peak["rss"],
        "slots_before": _slots(slots_before),
        "slots_most_active_seen": max(p.slots_active_max for p in pages),
        "queue_position_most_seen": max(p.queued_max for p in pages),
        "slots_after": _slots(fresh.slots),
        "slots_after_read_s_after_the_class": round(slots_after_at, 1),
        "device": device,
        "page_errors": [e for p in pages for e in p.errors],
        "click_at_s": [round(p.clicked_at - t0, 2) for p in pages],
        "first_step_at_s": [round(p.first_step_at - t0, 2) if p.first_step_at else None
                            for p in pages],
        "finished_at_s": [round(p.finished_at - t0, 2) if p.finished_at else None
                          for p in pages],
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg()[0],
    }


def _slots(seen: tuple | None) -> dict | None:
    return None if seen is None else {"active": seen[0], "of": seen[1], "waiting": seen[2]}


def probe(same: int = 20, different: int = 10, newcomers: int = 10,
          same_lab: str = PRESET_LAB, same_params: dict | None = None,
          other_lab: str = OTHER_LAB, other_params: dict | None = None) -> dict:
    plan = ([(same_lab, dict(same_params or PRESET))] * same
            + [(other_lab, {**(other_params or {}), "seed": 100 + i}) for i in range(different)])
    load_before = os.getloadavg()[0]
    with app_server() as server:
        port = int(server.url.rsplit(":", 1)[1])
        report = asyncio.run(_class(port, server.pid, plan, newcomers))
        output = server.output(10**9)  # the server's last 400 lines
    report["server_tracebacks_in_its_last_lines"] = output.count(
        "Traceback (most recent call last)")
    report["load_average_at_start"] = load_before
    return report


def main() -> int:
    report = probe()
    emit(report)
    slots = report["slots_after"] or {}
    return 0 if report["all_finished"] and not slots.get("active") \
        and not slots.get("waiting") else 1


if __name__ == "__main__":
    sys.exit(main())
