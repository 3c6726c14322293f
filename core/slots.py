"""The server's training slots and the queue in front of them.

A run is admitted (or refused with a `RunRefused` naming the limit and what to do) when it
starts: at most `settings.max_runs_per_session()` runs in progress (queued or training) per
owner, one browser session; `settings.max_runs_per_address()` per client address; and a
queue of at most `settings.max_queue()` waiting runs. At most `max_concurrent_runs()` train
at once: `settings.max_runs()`, or a Ray cluster's CPUs once the server has joined it. When a
slot frees, the next run is taken from the browser holding the fewest slots, among those the
one served longest ago (turn by turn), then the tab (owner) holding the fewest, first come
first served among equals: five tabs of one browser cannot keep another browser's first run
waiting longer than it takes one slot to free.
"""
from __future__ import annotations

import itertools
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from core import settings


def max_concurrent_runs() -> int:
    """RNNLAB_MAX_RUNS; on a Ray cluster (RNNLAB_RAY_ADDRESS) its CPUs, one run each, once the
    server has joined it (until then, or when it cannot, the setting). Never blocks: the
    cluster is joined on a background thread (core.cluster)."""
    if settings.ray_address() is not None:
        from core import cluster
        cpus = cluster.capacity()
        if cpus is not None:
            return cpus
    return settings.max_runs()


class RunRefused(Exception):
    """The server will not take this run now; the message names the limit and what to do."""

    @property
    def message(self) -> str:
        return str(self.args[0])


@dataclass(eq=False)  # compared by identity: two tickets are never the same place in line
class Ticket:
    owner: object
    address: str | None
    order: int
    browser: object = None  # None: the tab is its own browser


def _browser(ticket: Ticket) -> object:
    return ticket.owner if ticket.browser is None else ("browser", ticket.browser)


def _runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


class _Slots:
    """The server's training slots and the queue in front of them, under one condition."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._running: list[Ticket] = []
        self._waiting: list[Ticket] = []  # in arrival order
        self._arrivals = itertools.count()
        self._grants = itertools.count()
        self._served: dict[object, int] = {}  # browser -> when it last got a slot (a count)

    def admit(self, owner: object, address: str | None, browser: object = None) -> Ticket:
        """Join the queue, or raise RunRefused naming the limit that stops it."""
        with self._cond:
            everyone = self._running + self._waiting
            mine = sum(t.owner == owner for t in everyone)
            if mine >= settings.max_runs_per_session():
                raise RunRefused(f"You already have {_runs(mine)} going (queued or training) "
                                 f"in this browser tab, the most one tab may have on this "
                                 f"server; stop one or wait for it to finish.")
            if address is not None:
                shared = sum(t.address == address for t in everyone)
                if shared >= settings.max_runs_per_address():
                    raise RunRefused(f"{_runs(shared)} from your network address are already "
                                     "going, the most one address may have on this server; "
                                     "stop one or wait for one to finish.")
            must_wait = len(self._running) + len(self._waiting) >= max_concurrent_runs()
            if must_wait and len(self._waiting) >= settings.max_queue():
                raise RunRefused(f"The server is busy: {_runs(len(self._waiting))} are already "
                                 "waiting for a training slot, the most its queue holds; try "
                                 "again in a few minutes.")
            ticket = Ticket(owner, address, next(self._arrivals), browser)
            self._waiting.append(ticket)
            return ticket

    def _schedule(self) -> list[Ticket]:
        """The waiting tickets in the order they will get a slot: fewest slots held by their
        browser first, then by their tab (owner), then first come first served."""
        held = Counter(t.owner for t in self._running)
        by_browser = Counter(_browser(t) for t in self._running)
        return sorted(self._waiting,
                      key=lambda t: (by_browser[_browser(t)], self._served.get(_browser(t), -1),
                                     held[t.owner], t.order))

    def _forget_idle(self) -> None:
        """A browser with nothing queued or training starts afresh: its turn is not kept."""
        present = {_browser(t) for t in self._running + self._waiting}
        for browser in [b for b in self._served if b not in present]:
            del self._served[browser]

    def acquire(self, ticket: Ticket, cancelled: Callable[[], bool]) -> bool:
        """Wait for a slot; False (and out of the queue) once `cancelled()` says so."""
        with self._cond:
            try:
                while True:
                    if cancelled():
                        return False
                    if (len(self._running) < max_concurrent_runs()
                            and self._schedule()[0] is ticket):
                        self._waiting.remove(ticket)
                        self._running.append(ticket)
                        self._served[_browser(ticket)] = next(self._grants)
                        return True
                    self._cond.wait(timeout=0.5)  # woken early by release() and withdraw()
            finally:
                if ticket in self._waiting:  # cancelled, or cancelled() itself raised
                    self._waiting.remove(ticket)
                    self._cond.notify_all()

    def withdraw(self, ticket: Ticket) -> None:
        """Leave the queue (a run that is not going to start); no effect when not queued."""
        with self._cond:
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            self._forget_idle()
            self._cond.notify_all()

    def release(self, ticket: Ticket) -> None:
        with self._cond:
            if ticket in self._running:
                self._running.remove(ticket)
            self._forget_idle()
            self._cond.notify_all()

    def position(self, ticket: Ticket | None) -> int | None:
        """1 = next to start; None = not waiting."""
        with self._cond:
            order = self._schedule()
            return order.index(ticket) + 1 if ticket in order else None

    def in_progress(self, owner: object = None, address: str | None = None) -> int:
        """Runs queued or training, of one owner or one address (or all, given neither)."""
        with self._cond:
            return sum((owner is None or t.owner == owner)
                       and (address is None or t.address == address)
                       for t in self._running + self._waiting)

    @property
    def active(self) -> int:
        with self._cond:
            return len(self._running)

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)


SLOTS = _Slots()


def spare_slots() -> int:
    """Training slots neither taken nor waited for: what a run may borrow to train its arms
    side by side (core.arm_scheduler)."""
    return max(0, max_concurrent_runs() - SLOTS.active - SLOTS.waiting)
