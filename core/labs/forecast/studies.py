"""The Forecast lab's study: sweep the linear map's Lipschitz constant L.

Each value of L is one arm of `core.arms.train_arms`, and each arm is a whole run of the lab
(both forecasters): the run's own progress and series nest inside the arm's span through
`phase_reporter`, so the live chart reads "L=1.1 · iterative" and the bar never goes back.
"""
from __future__ import annotations

import dataclasses
import time

from core.analysis.error_growth import expected_regime
from core.arms import Arm, Trained, finish, run_status, train_arms
from core.contract import Result
from core.train import TrainLog

SWEEP_L = (0.8, 0.9, 1.0, 1.1, 1.2)  # contracting, critical and expanding maps


def sweep_lipschitz(config, on_step=None, should_stop=None, *, run_one,
                    values: tuple = SWEEP_L) -> Result:
    """Run the lab (`run_one(config, on_step, should_stop)`) on the linear system at every L
    in `values`, same seed and data otherwise, and collect the fitted growth rate of each
    iterative error curve beside ln L and the regime it shows beside the one L predicts."""
    start = time.perf_counter()

    def train_one(arm: Arm, steps: int, report, stop) -> Trained:
        result = run_one(arm.spec, report, stop)
        log = TrainLog(status=result.status, steps=result.steps, history=result.history,
                       message=result.message if result.status in ("stopped", "diverged")
                       else "", wall_s=result.wall_s)
        return Trained(arm, None, log, summary={"result": result})

    arms = [Arm(f"L={L:g}", spec=dataclasses.replace(config, system="linear",
                                                     lipschitz=float(L))) for L in values]
    trained = train_arms(arms, train_one, steps=config.steps, on_step=on_step,
                         should_stop=should_stop, rivals_match_main=False)
    points = []
    for t in trained:
        r = t.summary["result"]
        points.append({"lipschitz": t.arm.spec.lipschitz,
                       "reference": r.metrics["reference_growth_rate"],
                       "measured": r.metrics["growth_rate_iterative"],
                       "regime": r.arrays["regime"],
                       "expected_regime": expected_regime(t.arm.spec.lipschitz),
                       "error_by_horizon_iterative": r.metrics["error_by_horizon_iterative"],
                       "error_by_horizon_direct": r.metrics["error_by_horizon_direct"]})
    as_predicted = [p["regime"] == p["expected_regime"] for p in points]
    status = run_status(trained, len(values), success=False)
    if status == "completed" and all(as_predicted):
        status = "succeeded"  # every L shows the regime it predicts: the study's criterion
    histories = {f"{t.name} · {kind}": history for t in trained
                 for kind, history in t.summary["result"].arrays["histories"].items()}
    return finish(config, start, trained,
                  metrics={"sweep_lipschitz": [p["lipschitz"] for p in points],
                           "sweep_measured_rate": [p["measured"] for p in points],
                           "sweep_reference_rate": [p["reference"] for p in points],
                           "sweep_regimes_as_predicted": sum(as_predicted)},
                  arrays={"sweep": points, "histories": histories},
                  success=status == "succeeded",
                  status=status, steps=sum(t.log.steps for t in trained))
