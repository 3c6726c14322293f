"""Forecast's result in one sentence: the criterion its system sets (a rate, a regime, or
beating persistence) and the measured errors against it, from core.analysis.error_growth."""
from __future__ import annotations

from core.analysis.error_growth import growth_verdict
from core.verdict import outcome, steps_text

RATE_TOLERANCE = 0.2  # a fitted growth rate counts as the system's within 20 % of it

CRITERIA = {
    "linear": "the iterative error grows in the regime L predicts (and at a rate within "
              "20 % of ln L when it compounds), faster than the direct model's",
    "logistic": "the iterative error's fitted growth rate lies within 20 % of the known "
                "Lyapunov exponent, and the direct model's error grows less",
    "lorenz": "the iterative error's fitted growth rate lies within 20 % of the known "
              "Lyapunov exponent, and the direct model's error grows less",
}
RECORDED = "the iterative model's one-step error is below repeating the last value"


def verdict(result) -> str:
    m, system = result.metrics, result.arrays["system"]
    lipschitz = result.config.get("lipschitz") if system == "linear" else None
    _, measured = growth_verdict(system, lipschitz, m, result.arrays["regime"],
                                 RATE_TOLERANCE)
    return (f"Criterion: {CRITERIA.get(system, RECORDED)}. {measured} {steps_text(result)} "
            f"— {outcome(result)}.")
