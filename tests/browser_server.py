"""Start the real app server on a free loopback port for browser tests, and Chromium."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def require_chromium() -> None:
    """Skip on a developer machine without Chromium; in CI a missing browser is a failure."""
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        pytest.fail("CI must run the browser tests, but /usr/bin/chromium is missing")
    pytest.skip("Chromium is not installed (apt-get install -y chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    pid: int
    _lines: deque = field(default_factory=lambda: deque(maxlen=400), repr=False)

    def output(self, chars: int = 3000) -> str:
        """The end of what the server printed (for failure messages)."""
        return "".join(list(self._lines))[-chars:]


def _drain(stream, lines: deque) -> None:
    """Read the server's output as it comes, so a chatty server never blocks on a full pipe;
    only the last lines are kept."""
    for raw in iter(stream.readline, b""):
        lines.append(raw.decode(errors="replace"))
    stream.close()


@contextmanager
def app_server(env_extra: dict | None = None, timeout_s: float = 90.0):
    port = free_port()
    env = {**os.environ, **(env_extra or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    server = Server(url, proc.pid)
    threading.Thread(target=_drain, args=(proc.stdout, server._lines), daemon=True).start()
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                time.sleep(0.5)  # let the reader catch the last lines
                raise RuntimeError(f"the app server did not start:\n{server.output()}")
            time.sleep(0.3)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# Each of a class's students looks at their own tab; in one browser all but one tab are in
# the background, where Chromium slows timers (the pages' live reruns) unless told not to.
EVERY_TAB_IN_FRONT = ["--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                      "--disable-backgrounding-occluded-windows"]


@contextmanager
def chromium(viewport=(1400, 1000), extra_args: list[str] | None = None):
    """Debian's Chromium, headless; yields a function that opens a page in a new context
    (its own cookies, so its own app session), optionally at another viewport size."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=CHROMIUM_ARGS + list(extra_args or []))
        try:
            yield lambda size=viewport: browser.new_context(
                viewport={"width": size[0], "height": size[1]}).new_page()
        finally:
            browser.close()


@contextmanager
def chromium_page(viewport=(1400, 1000)):
    with chromium(viewport) as new_page:
        yield new_page()


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc."""
    total = 0
    for p in [pid] + _children(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(k) for k in kids]


PHONE_WIDTH = 768  # below it the page draws Train and Stop in the main area (ui/present.py)


def train_button(page):
    """The Train on screen: a phone's in the main area (the collapsed sidebar's copy is in
    the page too, off to the left), else the sidebar's."""
    if page.viewport_size["width"] < PHONE_WIDTH:
        return page.locator(".st-key-phone-run-buttons").get_by_role(
            "button", name="Train", exact=True)
    return page.get_by_role("button", name="Train", exact=True).locator("visible=true").first
