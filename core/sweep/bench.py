"""`python -m core bench --sweep`: one 3x4x3 grid on embedded Ray against the same grid run
point after point in this process.

Measured, never asserted: Ray's start-up, the latency to the first finished point, wall time
of both, the speed-up, and Ray's overhead per point,

    overhead per point = (wall_ray x CPUs - sum of the points' own training time) / points,

i.e. the CPU time per point that went to scheduling, worker start-up, imports and transfer
rather than to training (idle cores at the end of the grid count against it too). The two
engines' metrics are compared point for point, as the tests do.
"""
from __future__ import annotations

import statistics
import time

from core.labs import get_lab
from core.sweep.spec import SweepSpec, plan_sweep
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
    return {"engine": snap.engine, "where": snap.where, "wall_s": time.perf_counter() - start,
            "first_point_s": first[0] if first else None, "points": len(ok),
            "failed": snap.failed, "train_s": sum(r["wall_s"] for r in ok),
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
    return {
        "grid": f"gradients, cell x seq_len x seeds = 3 x 4 x 3 = {n} points, "
                f"{GRID.overrides['steps']} steps max, hidden {GRID.overrides['hidden']}",
        "where": where, "cpus": cpus, "ray_start_s": connect_s,
        "sequential_wall_s": local["wall_s"], "ray_wall_s": on_ray["wall_s"],
        "speedup": local["wall_s"] / on_ray["wall_s"],
        "speedup_with_start": local["wall_s"] / (on_ray["wall_s"] + connect_s),
        "sequential_first_point_s": local["first_point_s"],
        "ray_first_point_s": on_ray["first_point_s"],
        "sequential_train_s": local["train_s"], "ray_train_s": on_ray["train_s"],
        "point_s_mean": local["train_s"] / max(local["points"], 1),
        "overhead_per_point_s": (on_ray["wall_s"] * cpus - on_ray["train_s"]) / n,
        "noop_task_latency_ms": latency_ms, "noop_task_batched_ms": batched_ms,
        "failed": local["failed"] + on_ray["failed"], "same_metrics": same,
    }


def report_rows(result: dict) -> list[list[str]]:
    r = result
    return [
        ["where", r["where"]],
        ["grid", r["grid"]],
        ["Ray start-up", f"{r['ray_start_s']:.1f} s"],
        ["wall, sequential in-process", f"{r['sequential_wall_s']:.1f} s"],
        ["wall, Ray", f"{r['ray_wall_s']:.1f} s"],
        ["speed-up (with Ray start-up)",
         f"{r['speedup']:.2f}x ({r['speedup_with_start']:.2f}x)"],
        ["first point, sequential / Ray",
         f"{r['sequential_first_point_s']:.1f} s / {r['ray_first_point_s']:.1f} s"],
        ["training time summed, sequential / Ray",
         f"{r['sequential_train_s']:.1f} s / {r['ray_train_s']:.1f} s"],
        ["mean point (sequential)", f"{r['point_s_mean']:.2f} s"],
        ["a point's training under Ray / in-process (CPU contention)",
         f"{r['ray_train_s'] / r['sequential_train_s']:.2f}x"],
        ["Ray overhead per point", f"{r['overhead_per_point_s']:.2f} s"],
        ["empty task: one round trip / each of 200 at once",
         f"{r['noop_task_latency_ms']:.1f} ms / {r['noop_task_batched_ms']:.2f} ms"],
        ["failed points", str(r["failed"])],
        ["Ray metrics equal sequential, point for point", "yes" if r["same_metrics"] else "NO"],
    ]
