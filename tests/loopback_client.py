"""A browser tab's session without a browser: a websocket client speaking Streamlit's own
protocol, as tests/probe_loopback.py drives thirty of them against a real server. It opens its
page, clicks buttons as reruns carrying their trigger, and re-sends every
`st.fragment(run_every=…)` rerun on its interval, as the frontend does; it keeps the text the
page shows so the probe can read its state."""
from __future__ import annotations

import asyncio
import re
import time

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


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())



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
