"""Small pieces every lab's verdict uses: a lab's `verdict(result) -> str` says in one
sentence what its success criterion is and what the run measured against it, computed from
the Result's metrics, so the sentence under the figures is the figures' own numbers."""
from __future__ import annotations

import math


def number(value, digits: int = 2) -> str:
    """A measured number as the page prints it: fixed point in a readable range, else
    scientific (a gradient ratio of 1e-16 must not print as 0.00); "not measured" for None."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "not measured"
    value = float(value)
    if value != 0 and not (10 ** -digits <= abs(value) < 10 ** 4):
        return f"{value:.1e}"
    return f"{value:.{digits}f}"


def outcome(result) -> str:
    """How the run stands against its criterion, for the end of the sentence."""
    if result.success:
        return "criterion met"
    if result.status == "stopped":
        return "stopped before the criterion was met"
    if result.status == "diverged":
        return "training diverged"
    return "criterion not met"


MODEL_NAMES = {"rnn": "tanh RNN", "lstm": "LSTM", "gru": "GRU", "linear": "linear RNN",
               "attention": "self-attention", "stack": "stack RNN", "none": "no attention",
               "bi": "bidirectional RNN", "uni": "one-directional RNN"}


def model_name(name: str) -> str:
    return MODEL_NAMES.get(name, name)


def steps_by_model(result) -> dict:
    """The optimiser steps each model of the run took, from its own history (the headline
    model's `steps` is not the rivals' when each stops at its own criterion)."""
    histories = (result.arrays or {}).get("histories") or {}
    steps = {name: max((h.get("step", 0) for h in hist), default=0)
             for name, hist in histories.items()}
    return steps or {"": result.steps}


def steps_text(result) -> str:
    """ "(LSTM 625 steps, GRU 200 steps)", or "(50 steps)" for one model."""
    steps = steps_by_model(result)
    if len(steps) == 1:
        return f"({next(iter(steps.values()))} steps)"
    return "(" + ", ".join(f"{model_name(n)} {s} steps" for n, s in steps.items()) + ")"
