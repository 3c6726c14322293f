"""Start-up work done in the background, so the home page renders without waiting for it.

Importing torch and the labs, choosing the device and building a first optimiser take a few
seconds; the server starts them on a thread when it starts and the sidebar shows the device
once they are done. Lab pages import what they need themselves (waiting on the same imports
if the thread has not finished them).
"""
from __future__ import annotations

import threading

_lock = threading.Lock()
_thread: threading.Thread | None = None
_device: dict = {}


def _warm() -> None:
    from core.device import configure_threads, device_label
    from core.labs import all_labs
    from core.train import warm_up

    configure_threads()
    warm_up()
    all_labs()
    _device["label"] = device_label()
    from core import cluster
    cluster.ensure_joining()  # on its own thread, with a timeout: a wrong address never blocks


def start() -> None:
    """Begin the warm-up once per process; later calls do nothing."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_warm, name="warm-up", daemon=True)
            _thread.start()


def device_label_if_ready() -> str | None:
    return _device.get("label")
