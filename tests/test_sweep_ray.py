"""Sweeps on a real local Ray cluster (`ray start --head`), joined through RNNLAB_RAY_ADDRESS
as a lecturer's cluster would be: results equal the in-process engine seed for seed, a point
whose worker dies is retried once and then reported as failed, Stop keeps finished points,
and the command line fans out over the cluster. One cluster serves the whole module."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.labs import get_lab
from core.sweep import (SweepRun, SweepSpec, create_store, plan_sweep, resume_store, run_point,
                        shutdown_ray)
from ray_cluster import LocalRayCluster, reread_ray_auth_settings

pytestmark = [pytest.mark.ray, pytest.mark.xdist_group("ray")]  # one cluster, one worker

SMOKE = {"steps": 20, "hidden": 8, "eval_every": 10, "compare_cells": False}
CLOCK_METRICS = {"seconds_to_success"}  # wall-clock readings, equal only by chance


@pytest.fixture(scope="module")
def cluster():
    head = LocalRayCluster(num_cpus=2)
    joining = {"RNNLAB_RAY_ADDRESS": head.address, **head.env}
    saved = {name: os.environ.get(name) for name in joining}
    os.environ.update(joining)
    reread_ray_auth_settings()
    try:
        yield head
    finally:
        shutdown_ray()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reread_ray_auth_settings()
        head.stop()


def plan(vary, seeds=2):
    return plan_sweep(get_lab("gradients"), SweepSpec(vary=vary, seeds=seeds, overrides=SMOKE))


def finish(run, timeout_s=300):
    run.start().join(timeout_s)
    snap = run.snapshot()
    assert snap.finished, f"sweep still {snap.state} after {timeout_s} s"
    return snap


def test_cluster_results_equal_the_sequential_ones_seed_for_seed(cluster):
    grid = plan({"cell": ("rnn", "lstm"), "seq_len": (10, 20)})
    on_ray = finish(SweepRun(grid, max_in_flight=3))  # a window smaller than the grid
    here = finish(SweepRun(grid, engine="local"))
    assert on_ray.engine == "ray" and on_ray.where == "Ray cluster: 1 node, 2 CPUs"
    assert on_ray.state == here.state == "done" and on_ray.done == here.done == 8
    local = {r["key"]: r for r in here.records}
    for r in on_ray.records:
        assert r["attempts"] == 1 and r["worker"].split(":")[1] != str(os.getpid())
        mine = local[r["key"]]
        assert r["run_status"] == mine["run_status"]
        assert ({k: v for k, v in r["metrics"].items() if k not in CLOCK_METRICS}
                == {k: v for k, v in mine["metrics"].items() if k not in CLOCK_METRICS})


def test_a_lost_worker_is_retried_once_then_the_point_fails(cluster, tmp_path):
    marks = str(tmp_path)

    def dies(lab_id, overrides, seed, should_stop=None):
        """rnn/seed 0 kills its worker on the first attempt only; lstm/seed 1 on every one."""
        tally = Path(marks) / f"{overrides['cell']}-{seed}"
        with tally.open("a") as fh:
            fh.write("attempt\n")
        first = len(tally.read_text().splitlines()) == 1
        point = (overrides["cell"], seed)
        if (point == ("rnn", 0) and first) or point == ("lstm", 1):
            os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer or a lost node would
        return run_point(lab_id, overrides, seed)

    snap = finish(SweepRun(plan({"cell": ("rnn", "lstm")}), point_fn=dies))
    by_point = {(r["combo"]["cell"], r["seed"]): r for r in snap.records}
    assert len(snap.records) == snap.total == 4  # nothing dropped
    assert by_point[("rnn", 0)]["status"] == "ok" and by_point[("rnn", 0)]["attempts"] == 2
    assert by_point[("rnn", 1)]["attempts"] == by_point[("lstm", 0)]["attempts"] == 1
    failed = by_point[("lstm", 1)]
    assert failed["status"] == "failed" and failed["attempts"] == 2
    assert failed["error"].startswith("WorkerCrashedError")
    assert (tmp_path / "lstm-1").read_text().count("attempt") == 2  # ran twice, no more
    assert (snap.state, snap.done, snap.failed) == ("done", 3, 1)


def test_stop_keeps_finished_points_on_the_cluster(cluster, tmp_path):
    def second_seed_never_ends(lab_id, overrides, seed, should_stop=None):
        if seed == 1:
            while True:  # a point far too long to wait for; only Stop ends it
                time.sleep(0.05)
        return run_point(lab_id, overrides, seed)

    grid = plan({"cell": ("rnn", "lstm")})
    path = tmp_path / "points.jsonl"
    run = SweepRun(grid, point_fn=second_seed_never_ends, store=create_store(path, grid))
    run.start()
    deadline = time.monotonic() + 300
    while run.snapshot().done < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    run.stop()
    run.join(120)
    snap = run.snapshot()
    assert snap.state == "stopped" and snap.done == 2 and snap.failed == 0
    assert {r["seed"] for r in snap.records} == {0}
    _, saved = resume_store(path, grid)
    assert sorted(r["key"] for r in saved) == sorted(r["key"] for r in snap.records)
    # the cancelled points freed their workers: the cluster runs a new point at once
    again = finish(SweepRun(plan({"cell": ("gru",)}, seeds=1)), timeout_s=120)
    assert again.state == "done" and again.done == 1


def test_the_command_line_joins_the_cluster_from_the_environment(cluster):
    root = Path(__file__).resolve().parents[1]
    sets = [a for k, v in SMOKE.items() for a in ("--set", f"{k}={v}")]
    out = subprocess.run(
        [sys.executable, "-m", "core", "sweep", "gradients", "--vary", "cell=rnn,gru",
         "--seeds", "1", *sets, "--json"],
        capture_output=True, text=True, cwd=root, timeout=300,
        env=dict(os.environ, RNNLAB_RAY_ADDRESS=cluster.address, **cluster.env))
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result["engine"] == "ray" and result["where"].startswith("Ray cluster")
    assert result["done"] == 2 and [row["n"] for row in result["rows"]] == [1, 1]


def test_a_live_run_on_the_cluster_streams_progress_and_stops_on_stop(cluster):
    """With RNNLAB_RAY_ADDRESS set, Train's run trains in an actor on the cluster: the server
    sees its progress as it goes, Stop ends it with what it learned, and the slots are the
    cluster's CPUs."""
    from core.runs import Run, max_concurrent_runs
    lab = get_lab("gradients")
    config = lab.make_config({**SMOKE, "steps": 5000, "eval_every": 50})

    def job(on_step, should_stop):
        pid = os.getpid()  # where the training really runs
        return lab.run(config, lambda s, m: on_step(s, {**m, "worker_pid": pid}), should_stop)

    from core import cluster
    cluster.ensure_joining()  # the server joins in the background; runs train here until then
    deadline = time.monotonic() + 300
    while not cluster.ready() and time.monotonic() < deadline:
        time.sleep(0.1)
    run = Run(job, 5000, label="on the cluster").start()
    while run.snapshot().step < 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    first = run.snapshot().step
    while run.snapshot().step <= first and time.monotonic() < deadline:
        time.sleep(0.1)
    snap = run.snapshot()
    assert snap.state == "running" and snap.step > first >= 20  # progress streams in
    assert snap.history[-1]["worker_pid"] != os.getpid()
    assert max_concurrent_runs() == 2  # the cluster's CPUs
    run.stop()
    run.join(120)
    snap = run.snapshot()
    assert snap.state == "stopped" and snap.stop_reason == "stop"
    assert 20 <= snap.result.steps < 5000
    assert set(snap.result.artifacts["models"]) == {"lstm"}  # the trained model came back
