"""The Bidirectional lab's study: how much of the output the backward half supplies as its
view of the future is masked away during training."""
from __future__ import annotations

import time
from dataclasses import replace

from core.arms import ENDED_EARLY, finish, run_status, train_arms
from core.contract import Result
from core.device import pick_device
from core.labs.bidirectional.training import direction_arm, make_task, train_direction

SWEEP_P = (0.0, 0.25, 0.5, 0.75, 1.0)
SWEPT = ("backward_share", "backward_share_unmasked", "forward_variance", "backward_variance",
         "accuracy", "accuracy_future_hidden")


def sweep_total_steps(config, ps: tuple = SWEEP_P) -> int:
    """Optimiser steps the sweep takes: every p trains for the full `steps`."""
    return config.steps * len(ps)


def run_mask_sweep(config, on_step=None, should_stop=None, ps: tuple = SWEEP_P) -> Result:
    """A bidirectional model trained at each future-mask probability p on the same seed and
    data, every one for the full number of steps (no early stop, so every p gets the same
    training), each measured on the test set with its future masked as in training (and
    shown in full, and hidden everywhere)."""
    start = time.perf_counter()
    device = pick_device()
    make_task(config)
    arms = [direction_arm(replace(config, future_mask_p=float(p)), "bi", device,
                          early_stop=False, name=f"p={p:g}") for p in ps]
    trained = train_arms(arms, train_direction, steps=config.steps, on_step=on_step,
                         should_stop=should_stop, rivals_match_main=False)
    # an arm cut short by Stop is left out: its point would not be comparable
    points = [{"p": float(p), **{k: t.summary[k] for k in SWEPT}}
              for p, t in zip(ps, trained) if t.log.status not in ENDED_EARLY]
    metrics = {"p": [pt["p"] for pt in points],
               **{k: [pt[k] for pt in points] for k in SWEPT},
               "test_labels": trained[0].summary["test_labels"] if trained else 0}
    status = run_status(trained, len(ps), success=False)
    return finish(config, start, trained, metrics=metrics,
                  success=status == "completed", status=status,
                  steps=sum(t.log.steps for t in trained), arrays={"sweep": points},
                  notes=[] if status == "completed" else ["sweep stopped early"],
                  config_extra={"sweep_p": list(ps)})
