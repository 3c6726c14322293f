"""Sweeps: a lab trained over a grid of knob values times seeds, tabulated with error bars.

    plan = plan_sweep(get_lab("gradients"), SweepSpec(vary={"seq_len": (20, 40)}, seeds=3))
    run = SweepRun(plan).start()          # Ray when available, else in this process
    run.snapshot()                        # progress, ETA, finished points; run.stop() keeps them
    rows = tabulate(plan, run.snapshot().records)

Nothing here imports Ray (or torch) until a sweep starts.
"""
from core.sweep.named import lab_sweeps
from core.sweep.point import run_point, scalar_metrics
from core.sweep_spec import (Point, SweepPlan, SweepSpec, parse_sets, parse_vary, plan_sweep,
                              point_key)
from core.sweep.store import PointStore, create_store, resume_store
from core.sweep.sweep_run import SweepRun, SweepSnapshot, ray_address
from core.sweep.table import csv_table, markdown_table, mean_and_spread, tabulate


def shutdown_ray() -> None:
    """Leave Ray if a sweep connected this process to it (a no-op otherwise)."""
    import sys
    if "core.sweep.ray_engine" in sys.modules:
        sys.modules["core.sweep.ray_engine"].shutdown()


__all__ = ["Point", "PointStore", "SweepPlan", "SweepRun", "SweepSnapshot",
           "SweepSpec", "create_store", "csv_table", "lab_sweeps", "markdown_table",
           "mean_and_spread", "parse_sets", "parse_vary", "plan_sweep", "point_key", "ray_address",
           "resume_store", "run_point", "scalar_metrics", "shutdown_ray", "tabulate"]
