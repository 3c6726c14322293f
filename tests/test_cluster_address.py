"""A Ray address that is not a Ray head (a web server on that port): the server says so in
the sidebar's words, keeps its own slots and trains runs here, and nothing waits for it."""
import http.server
import threading

import pytest

from core import cluster, settings
from core.contract import Result
from core.runs import Run
from core.slots import max_concurrent_runs
from test_run_limits import wait_until


@pytest.fixture
def web_server_as_ray(monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    address = f"127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("RNNLAB_RAY_ADDRESS", address)
    monkeypatch.setenv("RNNLAB_MAX_RUNS", "3")
    cluster.forget()
    yield address
    server.shutdown()
    cluster.forget()


def test_a_web_server_posing_as_ray_is_reported_and_runs_train_here(web_server_as_ray):
    assert cluster.speaks_grpc(web_server_as_ray).startswith("it answers as a web server")
    assert max_concurrent_runs() == 3  # at once, while joining: never blocks on the cluster
    assert wait_until(lambda: cluster.status()[0] == "failed", timeout=30)
    state, problem = cluster.status()
    assert web_server_as_ray in problem and "train on this server" in problem
    assert any(web_server_as_ray in p for p in settings.settings_problems())
    assert max_concurrent_runs() == 3

    def job(on_step, should_stop):
        on_step(1, {"loss": 0.5})
        return Result("toy", {}, {}, True, "succeeded", 1, 0.0)
    run = Run(job, 1).start()
    run.join(20)
    assert run.snapshot().state == "succeeded"  # trained here, not on the "cluster"


def test_nothing_listening_is_reported_too(monkeypatch):
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert cluster.speaks_grpc(f"127.0.0.1:{port}", timeout_s=2).startswith("nothing answers")
