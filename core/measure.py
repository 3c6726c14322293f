"""Stop means stop: the measurements a run makes after training, skipped once it is stopped.

A run at large settings spends as long measuring its models (test accuracy on thousands of
sequences, gradients through every position, attention maps) as training them. Stop, the
server's time cap and a closed tab all end training through `should_stop`; so that they also
free the slot within seconds, every lab checks it between its measurements with
`stop_point(should_stop, piece)`. Once it holds, the piece and every one after it are
skipped: the arm keeps the training log it has (`stoppable` turns the stop into a Trained
whose `extra["skipped"]` names the piece it stopped at) and the lab returns
`stopped_result(...)`, a Result with the histories and the last live figure data, status
"stopped", and `metrics["skipped"]`, the pieces it did not measure, which the page names.
"""
from __future__ import annotations

from core.arms import Arm, Trained, finish
from core.contract import Result, ShouldStop
from core.train import TrainLog

SKIPPED_KEY = "skipped"


class Stopped(Exception):
    """Raised at a stop point once `should_stop()` holds: `piece` is what was not measured,
    `log` the training log of the arm it interrupted (None between arms)."""

    def __init__(self, piece: str, log: TrainLog | None = None, model=None) -> None:
        super().__init__(piece)
        self.piece, self.log, self.model = piece, log, model


def stop_point(should_stop: ShouldStop | None, piece: str, log: TrainLog | None = None,
               model=None) -> None:
    """Before measuring `piece`: raise Stopped when the run has been asked to stop."""
    if should_stop is not None and should_stop():
        raise Stopped(piece, log, model)


def stoppable(train_one):
    """Wrap a lab's `train_one(arm, steps, report, should_stop)` so that a stop
    between its measurements ends the arm as "stopped", keeping its training log and naming
    the measurements skipped; `train_arms` then skips the arms after it."""
    def train(arm: Arm, steps: int, report, should_stop, **given) -> Trained:
        try:
            return train_one(arm, steps, report, should_stop, **given)
        except Stopped as stop:
            log = stop.log or TrainLog(status="stopped", steps=0)
            log.status = "stopped"
            log.message = log.message or f"stopped by request after {log.steps} steps"
            return Trained(arm, stop.model, log,
                           extra={SKIPPED_KEY: [f"{arm.name}: {stop.piece}"]})
    train.__name__ = getattr(train_one, "__name__", "train_one")
    return train


def skipped_pieces(trained: list[Trained]) -> list[str]:
    return [piece for t in trained for piece in t.extra.get(SKIPPED_KEY, ())]


def stopped_result(config, started: float, trained: list[Trained],
                   should_stop: ShouldStop | None, planned: list[Arm] | tuple = (),
                   run_pieces: tuple[str, ...] = ()) -> Result | None:
    """The Result of a run stopped before its measurements were all made, or None when it
    was not stopped (then the lab measures and finishes as usual). `run_pieces` names the
    run-level measurements (over all arms) that a stop now skips; the `planned` arms that
    never trained are named too."""
    skipped = skipped_pieces(trained)
    stopped_now = should_stop is not None and should_stop()
    if not skipped and not stopped_now:
        return None
    done = {t.name for t in trained}
    skipped += [f"{arm.name}: not trained" for arm in planned if arm.name not in done]
    skipped += list(run_pieces)
    metrics = {SKIPPED_KEY: skipped,
               "steps_by_model": {t.name: t.log.steps for t in trained}}
    return finish(config, started, trained, metrics=metrics, success=False,
                  status="stopped")


def skipped_note(result) -> str:
    """One line for the page: which measurements a stop skipped, or "" when none were."""
    skipped = (result.metrics or {}).get(SKIPPED_KEY) if result is not None else None
    if not skipped:
        return ""
    return ("Measurements skipped because of the stop: " + "; ".join(skipped)
            + ". The figures below need them: train again and let it finish to see them.")


def measured_arms(trained: list[Trained]) -> list[Trained]:
    """The arms whose measurements were all made: a study of several independent models
    (one per window, per p, per lever) keeps those and leaves out the one a stop cut short,
    whose point would not be comparable (the run's status is "stopped": fewer trained than
    planned)."""
    return [t for t in trained if not t.extra.get(SKIPPED_KEY)]
