"""Joining the Ray cluster named by RNNLAB_RAY_ADDRESS, on one background thread, so no page
ever waits for it.

An address that points at something other than Ray (a web server, the dashboard) accepts the
TCP connection, and `ray.init` then retries for minutes; a page that asked the cluster for
its size in that time would not render. So the port is first asked to speak HTTP/2 (Ray's
head answers gRPC, which opens with a SETTINGS frame), the join runs on its own thread with
`JOIN_TIMEOUT_S` to answer, and until it has answered runs train on this server and the slots
are RNNLAB_MAX_RUNS. A problem is reported through core.settings, so the sidebar names it.
"""
from __future__ import annotations

import socket
import threading
import time

from core import settings

JOIN_TIMEOUT_S = 20.0
SNIFF_TIMEOUT_S = 3.0
REFRESH_S = 10.0  # nodes join and leave: the cluster's CPUs are asked again this often
# The client connection preface of HTTP/2 and an empty SETTINGS frame (RFC 9113, 3.4).
_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])

_lock = threading.Lock()
_state: dict = {"address": None, "status": "idle", "cpus": None, "problem": "", "since": 0.0}


def speaks_grpc(address: str, timeout_s: float = SNIFF_TIMEOUT_S) -> str:
    """'' when host:port answers HTTP/2 with a SETTINGS frame (as Ray's gRPC head does),
    otherwise what it did instead."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s) as conn:
            conn.settimeout(timeout_s)
            conn.sendall(_PREFACE)
            reply = conn.recv(64)
    except socket.timeout:
        return "it accepted a connection but did not answer like a Ray head node"
    except OSError as exc:
        return f"nothing answers there ({exc.strerror or exc})"
    if len(reply) >= 9 and reply[3] == 4:
        return ""
    if b"HTTP/" in reply or reply.lstrip().startswith(b"<"):
        return "it answers as a web server, not a Ray head node (the dashboard's port?)"
    return "it does not answer like a Ray head node"


def _join(address: str) -> None:
    problem = "" if "://" in address else speaks_grpc(address)
    if problem:
        _fail(address, problem)
        return
    try:
        from core.remote_run import cluster_cpus  # imports Ray: only on a cluster's server
        cpus = cluster_cpus(address)
    except Exception as exc:  # whatever Ray raises, the page reports it and trains here
        _fail(address, f"could not join the Ray cluster ({type(exc).__name__}: {exc})")
        return
    with _lock:
        if _state["address"] == address:
            _state.update(status="ready", cpus=cpus, problem="", since=time.monotonic())


def _fail(address: str, why: str) -> None:
    text = (f"RNNLAB_RAY_ADDRESS={address}: {why}; runs train on this server, at most "
            f"{settings.max_runs()} at once, until the cluster answers.")
    with _lock:
        if _state["address"] == address:
            _state.update(status="failed", problem=text)
    settings.note_problem(settings.RAY_ADDRESS, text)


def _watch(address: str) -> None:
    """Join, give up waiting after JOIN_TIMEOUT_S (the join may still finish later), and
    keep the cluster's size current."""
    joiner = threading.Thread(target=_join, args=(address,), name="ray-join", daemon=True)
    joiner.start()
    joiner.join(JOIN_TIMEOUT_S)
    if joiner.is_alive():
        _fail(address, f"no answer within {JOIN_TIMEOUT_S:.0f} s")
        joiner.join()
    while True:
        time.sleep(REFRESH_S)
        with _lock:
            if _state["address"] != address or _state["status"] != "ready":
                return
        _join(address)


def ensure_joining(address: str | None = None) -> None:
    """Start joining the configured cluster once per address; returns at once."""
    address = address or settings.ray_address()
    if address is None:
        return
    with _lock:
        if _state["address"] == address:
            return
        _state.update(address=address, status="joining", cpus=None, problem="",
                      since=time.monotonic())
    threading.Thread(target=_watch, args=(address,), name="ray-cluster", daemon=True).start()


def capacity() -> int | None:
    """The cluster's CPUs (one run each) once joined; None while joining or when it failed."""
    ensure_joining()
    with _lock:
        return _state["cpus"] if _state["status"] == "ready" else None


def ready() -> bool:
    return capacity() is not None


def status() -> tuple[str, str]:
    """(idle | joining | ready | failed, the problem in words when it failed)."""
    ensure_joining()
    with _lock:
        return _state["status"], _state["problem"]


def forget() -> None:
    """Join again from scratch on the next use (the setting changed; tests)."""
    with _lock:
        _state.update(address=None, status="idle", cpus=None, problem="", since=0.0)
