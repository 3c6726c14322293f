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
import re
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

DEADLINE_S = 600.0  # the class: from the clicks to every run finished
OPEN_DEADLINE_S = 180.0  # all pages of the class open
PAGE_DEADLINE_S = 120.0  # one page's script run (a click's, a newcomer's)
WARMUP_DEADLINE_S = 120.0  # the server's warm-up: the sidebar names the device
SLOTS_DEADLINE_S = 90.0  # after the pages close: abandoned runs stop (RNNLAB_ABANDON_S, 30 s)
PRESET_LAB, PRESET = "gradients", {}  # the lab's default demo, as "press Train on the preset"
OTHER_LAB = "bidirectional"

FINISHED, EARLY_FOR_RERUN, FRAGMENT_FINISHED = 0, 2, 3  # ForwardMsg.ScriptFinishedStatus
STEP = re.compile(r"Training — step (\d+)")  # ui.run_panel's live status
QUEUED = re.compile(r"Queued: position (\d+)")
WATCHING = re.compile(r"trained once for (\d+) pages watching it")  # app.py's sidebar
SLOTS = re.compile(r"Training now: (\d+) of (\d+) slots .*, (\d+) waiting")
JOINED = "already training exactly this run"  # ui.run_panel.start_run's notices
SHOWN = "finished on this server a moment ago"
ENDINGS = (("stopped", "Stopped"), ("left", "You stopped watching"),
           ("failed", "The run failed"), ("diverged", "Training diverged"))  # else finished
REFUSED = ("the most one tab may have", "the most one address may have",
           "the most its queue holds")  # core.slots.RunRefused's messages


class Page:
    """One browser tab's session, as the frontend keeps it."""

    def __init__(self, port: int, page_name: str, query_string: str = "") -> None:
        self.uri = f"ws://127.0.0.1:{port}/_stcore/stream"
        self.page_name, self.query_string = page_name, query_string
        self.page_hash = ""
        self.ws = None
        self.tasks: list[asyncio.Task] = []
        self.changed = asyncio.Event()
        self.timers: dict[str, list[float]] = {}  # fragment id -> [interval, next due]
        self.widgets: dict[str, str] = {}  # widget key -> widget id
        self.disabled: dict[str, bool] = {}  # button key -> disabled, as last drawn
        self.full_runs = 0  # full script runs finished
        self.fragment_runs = 0
        self.last_status: int | None = None
        self.device = ""
        self.slots: tuple[int, int, int] | None = None
        self.errors: list[str] = []
        self.closed = False
        # after a click
        self.train_key = ""
        self.clicked_at: float | None = None
        self.joined = self.shown = self.refused = False
        self.click_run_s: float | None = None  # the click's own page run
        self.first_step_at: float | None = None
        self.first_step_from = ""  # "live view" or "finished run"
        self.finished_at: float | None = None
        self.ended = ""  # how the finished view says the run ended
        self.run_alerts: list[str] = []  # the alerts of the full run being drawn
        self.watching_max = 0
        self.queued_max = 0
        self.slots_active_max = 0

    async def open(self, deadline: float) -> float:
        """Connect and run the page once, as a browser opening its URL; the seconds it took."""
        from websockets.asyncio.client import connect
        begin = time.monotonic()
        self.ws = await asyncio.wait_for(
            connect(self.uri, subprotocols=["streamlit"], max_size=None, ping_interval=None,
                    open_timeout=None), _left(deadline))
        self.tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._tick())]
        await self.rerun()
        if not await self.wait(lambda: self.full_runs >= 1, deadline):
            raise TimeoutError(f"{self.page_name or 'home'}: no finished run by the deadline")
        return time.monotonic() - begin

    async def rerun(self, fragment_id: str = "", trigger: str = "") -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query_string
        if self.page_hash:
            state.page_script_hash = self.page_hash
        else:
            state.page_name = self.page_name
        if fragment_id:
            state.fragment_id, state.is_auto_rerun = fragment_id, True
        if trigger:
            widget = state.widget_states.widgets.add()
            widget.id, widget.trigger_value = self.widgets[trigger], True
        await self.ws.send(msg.SerializeToString())

    async def click(self, key: str, deadline: float) -> None:
        """Press a button; returns when the click's own page run has finished."""
        self.train_key = key
        runs = self.full_runs
        self.clicked_at = time.monotonic()
        await self.rerun(trigger=key)
        if not await self.wait(lambda: self.full_runs > runs, deadline):
            raise TimeoutError(f"{self.page_name}: the click's run did not finish")
        self.click_run_s = time.monotonic() - self.clicked_at

    @property
    def trained_here(self) -> bool:
        """The click started a run of its own (not joined, shown or refused)."""
        return self.clicked_at is not None and not (self.joined or self.shown or self.refused)

    @property
    def done(self) -> bool:
        return self.finished_at is not None or self.refused or self.closed

    async def wait(self, condition, deadline: float) -> bool:
        while True:
            if condition():
                return True
            if self.closed or time.monotonic() >= deadline:
                return False
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), _left(deadline))
            except TimeoutError:
                pass

    async def close(self) -> None:
        self.closed = True
        for task in self.tasks:
            task.cancel()
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 5)
            except Exception:  # closing a connection that already went
                pass
        self.changed.set()

    async def _tick(self) -> None:
        """The frontend's auto-rerun timers: each fragment on its own fixed cadence."""
        while not self.closed:
            now = time.monotonic()
            for fragment_id, timer in list(self.timers.items()):
                if timer[1] <= now:
                    timer[1] = max(timer[1] + timer[0], now)
                    await self.rerun(fragment_id=fragment_id)
            due = min((t[1] for t in self.timers.values()), default=now + 0.05)
            await asyncio.sleep(min(max(due - time.monotonic(), 0.005), 0.05))

    async def _read(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        try:
            async for raw in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._handle(msg, time.monotonic())
                self.changed.set()
        except Exception as exc:  # the connection went: the page is gone
            if not self.closed:
                self.errors.append(f"connection: {type(exc).__name__}: {exc}")
        finally:
            self.closed = True
            self.changed.set()

    def _handle(self, msg, now: float) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.page_hash = msg.new_session.page_script_hash
            if not msg.metadata.run.fragment_ids:
                self.timers.clear()  # a full run: the frontend drops every auto-rerun timer
                self.run_alerts = []
        elif kind == "navigation":  # st.navigation: the page shown, not the router's script
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            fragment_id, interval = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
            if fragment_id and self.timers.get(fragment_id, [None])[0] != interval:
                self.timers[fragment_id] = [interval, now + interval]
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                self.timers.pop(fragment_id, None)
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta.new_element, now)
        elif kind == "script_finished":
            self.last_status = msg.script_finished
            if msg.script_finished == FRAGMENT_FINISHED:
                self.fragment_runs += 1
            elif msg.script_finished == FINISHED:
                self.full_runs += 1
                self._full_run_done(now)

    def _element(self, element, now: float) -> None:
        kind = element.WhichOneof("type")
        if kind is None:
            return
        body = getattr(element, kind)
        widget_id = getattr(body, "id", "")
        if isinstance(widget_id, str) and widget_id.startswith("$$ID-"):
            key = widget_id.split("-", 2)[2]
            self.widgets[key] = widget_id
            if kind == "button":
                self.disabled[key] = body.disabled
        if kind == "progress":
            step = STEP.search(body.text)
            if step and int(step.group(1)) >= 1 and self.first_step_at is None \
                    and self.clicked_at is not None:
                self.first_step_at, self.first_step_from = now, "live view"
        elif kind == "alert":
            text = body.body
            self.run_alerts.append(text)
            if self.clicked_at is not None:
                self.joined = self.joined or JOINED in text
                self.shown = self.shown or SHOWN in text
                self.refused = self.refused or any(limit in text for limit in REFUSED)
            queued = QUEUED.search(text)
            if queued:
                self.queued_max = max(self.queued_max, int(queued.group(1)))
        elif kind == "markdown":
            text = body.body
            if text.startswith("Device:"):
                self.device = "" if "detecting" in text else text.split("**")[1]
            slots = SLOTS.search(text)
            if slots:
                self.slots = tuple(int(g) for g in slots.groups())
                self.slots_active_max = max(self.slots_active_max, self.slots[0])
            watching = WATCHING.search(text)
            if watching:
                self.watching_max = max(self.watching_max, int(watching.group(1)))
        elif kind == "exception":
            self.errors.append(f"{body.type}: {body.message}"[:300])

    def _full_run_done(self, now: float) -> None:
        """After the click, the first full run that draws Train enabled (not refused) shows
        the session's run ended (or, joined when it had just finished, shown at once)."""
        if (self.clicked_at is None or self.finished_at is not None or self.refused
                or self.disabled.get(self.train_key, True)):
            return
        self.finished_at = now
        self.ended = next((kind for text in self.run_alerts for kind, start in ENDINGS
                           if text.startswith(start)), "finished")
        if self.first_step_at is None:  # it ended between two redraws of the live view
            self.first_step_at, self.first_step_from = now, "finished run"


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


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
    from probe_class import emit
    report = probe()
    emit(report)
    slots = report["slots_after"] or {}
    return 0 if report["all_finished"] and not slots.get("active") \
        and not slots.get("waiting") else 1


if __name__ == "__main__":
    sys.exit(main())
