"""`python -m core bench --sweep`: one 3x4x3 grid on embedded Ray against the same grid run
point after point in this process.

Measured, never asserted. Wall times (start-up, first point, whole grid, speed-up) depend on
what else the machine is doing, so CPU seconds are measured too, which mostly do not:

    CPU per point          = process CPU time spent inside lab.run, summed over points / n
    Ray overhead per point = (sum over workers of their total CPU time - sum of points' CPU) / n
                             i.e. worker start-up, imports, task dispatch, result transfer,
                             amortised over the grid's points
    idle-machine speed-up  = CPU of the grid in-process / ((CPU of the grid on Ray + overhead) / CPUs)
                             (CPU-bound points, one per core, Ray's own start-up left out: a
                             server pays it once)

The two engines' metrics are compared point for point, as the tests do.
"""
from __future__ import annotations

import os
import statistics
import time

from core.labs import get_lab
from core.sweep_spec import SweepSpec, plan_sweep
from core.sweep.sweep_run import SweepRun

GRID = SweepSpec(name="bench", metric="accuracy", seeds=3,
                 vary={"cell": ("rnn", "lstm", "gru"), "seq_len": (20, 40, 60, 80)},
                 overrides={"steps": 300, "hidden": 32, "eval_every": 50, "lag": 300,
                            "compare_cells": False})
CLOCK_METRICS = {"seconds_to_success"}  # wall-clock readings: equal only by chance


def _timed_sweep(plan, engine: str) -> dict:
    first: list[float] = []
    start = time.perf_counter()
    run = SweepRun(plan, engine=engine,
                   on_point=lambda r: first or first.append(time.perf_counter() - start))
    run.start().join()
    snap = run.snapshot()
    ok = [r for r in snap.records if r["status"] == "ok"]
    worker_total: dict[str, float] = {}
    worker_first: dict[str, dict] = {}
    for r in sorted(ok, key=lambda r: r["worker_cpu_s"]):  # each worker's CPU only grows
        worker_first.setdefault(r["worker"], r)
        worker_total[r["worker"]] = r["worker_cpu_s"]
    point_cpu = sum(r["cpu_s"] for r in ok)
    return {"engine": snap.engine, "where": snap.where, "wall_s": time.perf_counter() - start,
            "first_point_s": first[0] if first else None, "points": len(ok),
            "failed": snap.failed, "train_s": sum(r["wall_s"] for r in ok),
            "cpu_s": point_cpu, "workers": len(worker_total),
            "outside_points_cpu_s": sum(worker_total.values()) - point_cpu,
            "worker_start_cpu_s": statistics.fmean(
                r["worker_cpu_s"] - r["cpu_s"] for r in worker_first.values()) if ok else None,
            "records": {r["key"]: r for r in ok}}


def _noop_round_trip_ms(ray, repeats: int = 50) -> tuple[float, float]:
    """Median latency of one empty task, and the per-task cost of 200 submitted at once."""
    @ray.remote(num_cpus=1)
    def noop():
        return 0
    ray.get(noop.remote())
    latencies = []
    for _ in range(repeats):
        t = time.perf_counter()
        ray.get(noop.remote())
        latencies.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    ray.get([noop.remote() for _ in range(200)])
    return statistics.median(latencies), (time.perf_counter() - t) * 1000 / 200


def bench_sweep() -> dict:
    lab = get_lab("gradients")
    plan = plan_sweep(lab, GRID)
    load_before = os.getloadavg()[0]
    local = _timed_sweep(plan, "local")
    from core.sweep import ray_engine
    t = time.perf_counter()
    where = ray_engine.connect(None)
    connect_s = time.perf_counter() - t
    cpus = int(ray_engine.ray.cluster_resources().get("CPU", 1))
    on_ray = _timed_sweep(plan, "ray")
    latency_ms, batched_ms = _noop_round_trip_ms(ray_engine.ray)
    ray_engine.shutdown()
    def without_clocks(record: dict) -> dict:
        return {k: v for k, v in record["metrics"].items() if k not in CLOCK_METRICS}
    same = (len(on_ray["records"]) == len(local["records"]) == plan.total
            and all(without_clocks(r) == without_clocks(local["records"][key])
                    for key, r in on_ray["records"].items()))
    n = plan.total
    overhead_cpu = on_ray["outside_points_cpu_s"]
    return {
        "grid": f"gradients, cell x seq_len x seeds = 3 x 4 x 3 = {n} points, "
                f"{GRID.overrides['steps']} steps max, hidden {GRID.overrides['hidden']}",
        "where": where, "cpus": cpus, "ray_start_s": connect_s, "workers": on_ray["workers"],
        "sequential_wall_s": local["wall_s"], "ray_wall_s": on_ray["wall_s"],
        "speedup": local["wall_s"] / on_ray["wall_s"],
        "speedup_with_start": local["wall_s"] / (on_ray["wall_s"] + connect_s),
        "sequential_first_point_s": local["first_point_s"],
        "ray_first_point_s": on_ray["first_point_s"],
        "sequential_train_s": local["train_s"], "ray_train_s": on_ray["train_s"],
        "point_s_mean": local["train_s"] / max(local["points"], 1),
        "sequential_cpu_per_point_s": local["cpu_s"] / n,
        "ray_cpu_per_point_s": on_ray["cpu_s"] / n,
        "overhead_cpu_per_point_s": overhead_cpu / n,
        "worker_start_cpu_s": on_ray["worker_start_cpu_s"],
        "idle_speedup": local["cpu_s"] / ((on_ray["cpu_s"] + overhead_cpu) / cpus),
        "noop_task_latency_ms": latency_ms, "noop_task_batched_ms": batched_ms,
        "failed": local["failed"] + on_ray["failed"], "same_metrics": same,
        "load_average_1min": [load_before, os.getloadavg()[0]],
    }


def report_rows(result: dict) -> list[list[str]]:
    r = result
    return [
        ["where", f"{r['where']} ({r['workers']} workers ran points)"],
        ["machine load (1-min average, before / after)",
         " / ".join(f"{x:.1f}" for x in r["load_average_1min"])],
        ["grid", r["grid"]],
        ["Ray start-up (ray.init)", f"{r['ray_start_s']:.1f} s"],
        ["wall, sequential in-process / Ray",
         f"{r['sequential_wall_s']:.1f} s / {r['ray_wall_s']:.1f} s"],
        ["measured speed-up (with Ray start-up)",
         f"{r['speedup']:.2f}x ({r['speedup_with_start']:.2f}x)"],
        ["first point, sequential / Ray",
         f"{r['sequential_first_point_s']:.1f} s / {r['ray_first_point_s']:.1f} s"],
        ["point wall time, mean (sequential)", f"{r['point_s_mean']:.2f} s"],
        ["point wall time under Ray / in-process (contention)",
         f"{r['ray_train_s'] / r['sequential_train_s']:.2f}x"],
        ["point CPU time, sequential / Ray",
         f"{r['sequential_cpu_per_point_s']:.2f} s / {r['ray_cpu_per_point_s']:.2f} s"],
        ["Ray overhead per point (CPU outside points / n)",
         f"{r['overhead_cpu_per_point_s']:.2f} s"],
        ["worker start-up before its first point (CPU)", f"{r['worker_start_cpu_s']:.1f} s"],
        ["speed-up on an idle machine, from CPU time", f"{r['idle_speedup']:.2f}x"],
        ["empty task: one round trip / each of 200 at once",
         f"{r['noop_task_latency_ms']:.1f} ms / {r['noop_task_batched_ms']:.2f} ms"],
        ["failed points", str(r["failed"])],
        ["Ray metrics equal sequential, point for point", "yes" if r["same_metrics"] else "NO"],
    ]
