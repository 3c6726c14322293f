"""A real local Ray cluster for the tests: `ray start --head` on a free port in its own
temporary directory, secured by its own token, stopped by its own process id.

Token authentication is set explicitly (RAY_AUTH_MODE=token, RAY_AUTH_TOKEN_PATH to a token
in the temporary directory) because Ray otherwise decides it from whether ~/.ray/auth_token
happens to exist; `env` holds what a driver needs to join, the way a lecturer's cluster
would hand it out.

`ray stop` is not used: it terminates every Ray process on the machine by name, and this
machine is shared. `ray start --block` stays in the foreground as the owner of the head's
processes and tears them down on SIGTERM; anything left carrying this cluster's temporary
directory on its command line is then killed by pid.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def reread_ray_auth_settings() -> None:
    """Ray reads RAY_AUTH_MODE / RAY_AUTH_TOKEN_PATH once per process and caches the token,
    so a driver in a test process that imported Ray before these were set (an earlier test
    module did) would join with no token; make it read them again."""
    if "ray" not in sys.modules:
        return  # Ray will read them on import
    from ray._private.authentication_test_utils import reset_auth_token_state
    reset_auth_token_state()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pids_using(marker: str) -> list[int]:
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker.encode() in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
        except OSError:
            continue  # the process ended while we looked
    return [p for p in pids if p != os.getpid()]


class LocalRayCluster:
    def __init__(self, num_cpus: int = 2, start_timeout_s: float = 180.0) -> None:
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        # short: Ray's socket paths live under it and must fit in 107 bytes
        self.temp_dir = tempfile.mkdtemp(prefix="rnnray", dir="/tmp")
        self.log_path = Path(self.temp_dir) / "head.log"
        token_path = Path(self.temp_dir) / "auth_token"
        token_path.write_text(secrets.token_hex(32))
        token_path.chmod(0o600)
        self.env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token_path)}
        env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", **self.env,
                   RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S="0")  # stop at once on SIGTERM
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            # this interpreter's Ray command line, whatever PATH holds on a fresh machine
            [sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block",
             f"--port={self.port}",
             f"--temp-dir={self.temp_dir}",
             f"--num-cpus={num_cpus}", "--include-dashboard=false", "--disable-usage-stats",
             f"--object-store-memory={96 * 1024 ** 2}"],
            stdout=self._log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + start_timeout_s
        while "Ray runtime started" not in self.log_path.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = self.log_path.read_text()[-2000:]
                self.stop()
                raise RuntimeError(f"ray start --head did not come up:\n{log}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        for pid in _pids_using(self.temp_dir):  # only processes of this cluster
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._log.close()
        shutil.rmtree(self.temp_dir, ignore_errors=True)
