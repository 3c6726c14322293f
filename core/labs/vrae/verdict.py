"""VRAE's result in one sentence: its criterion (annealing done, test KL clearly above
zero, enough active units, and the latent mean alone reconstructing the input) and the
test measurements against it."""
from __future__ import annotations

from core.verdict import number, outcome, steps_text

KL_MIN = 2.0  # nats per sequence: "clearly above zero"
MIN_ACTIVE = 2
MAX_RMSE = 0.35  # waveforms, free-running from μ; the data's own RMS is about 0.7
MIN_LETTER_ACCURACY = 0.5  # words, free-running from μ


def verdict(result) -> str:
    m = result.metrics
    if "free_running_rmse" in m:
        quality = (f"free-running RMSE from μ at most {MAX_RMSE:.2f}",
                   f"RMSE {number(m['free_running_rmse'])}")
    else:
        quality = (f"free-running letter accuracy from μ at least {MIN_LETTER_ACCURACY:.2f}",
                   f"letter accuracy {number(m['free_running_letter_accuracy'])}")
    return (f"Criterion: KL weight annealed to 1, test KL at least {KL_MIN:g} nats, at least "
            f"{MIN_ACTIVE} active latent units and {quality[0]}: KL weight "
            f"{number(m['kl_weight_final'])}, test KL {number(m['kl'])} nats, "
            f"{m['active_units']} active units, {quality[1]} {steps_text(result)} "
            f"— {outcome(result)}.")
