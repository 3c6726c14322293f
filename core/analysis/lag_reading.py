"""What an accuracy-against-lag curve shows, read from the curve itself rather than assumed.

A curve that sits on the chance line at the shortest lags says the model has not learned the
task at any distance: its failure at long lags is not evidence that each example's distance
defeats it. Only a curve well above chance at short lags and at chance at long ones shows
accuracy falling with the distance of the answer.

"At chance" is decided per lag group against the binomial spread of a guesser: accuracy
within `sigmas` standard deviations sqrt(c(1-c)/n) of chance c, over the group's n targets.
"""
from __future__ import annotations

import math

SIGMAS = 3.0
SHORT_SHARE = 0.25  # the shortest quarter of the lag groups (at least one)


def at_chance(accuracy: float, count: int, chance: float, sigmas: float = SIGMAS) -> bool:
    """Whether `accuracy` over `count` targets is within `sigmas` binomial standard
    deviations of a guesser's `chance`."""
    return accuracy <= chance + sigmas * math.sqrt(chance * (1 - chance) / max(count, 1))


def read_accuracy_by_lag(curve: dict, chance: float) -> dict:
    """{"kind": one of "chance everywhere", "falls with lag", "above chance everywhere",
    "mixed"; "short": mean accuracy over the shortest quarter of the lag groups, "long": over
    the longest quarter, "short_lags" and "long_lags": the mean lags of those groups}."""
    acc, counts, lags = curve["accuracy"], curve["count"], curve["lag"]
    k = max(1, round(len(acc) * SHORT_SHARE))
    chance_flags = [at_chance(a, n, chance) for a, n in zip(acc, counts)]
    short_chance, long_chance = all(chance_flags[:k]), all(chance_flags[-k:])
    if all(chance_flags):
        kind = "chance everywhere"
    elif not any(chance_flags[:k]) and long_chance:
        kind = "falls with lag"
    elif not any(chance_flags):
        kind = "above chance everywhere"
    else:
        kind = "mixed" if not short_chance else "chance at short lags"
    return {"kind": kind, "short": sum(acc[:k]) / k, "long": sum(acc[-k:]) / k,
            "short_lags": [lags[0], lags[k - 1]], "long_lags": [lags[-k], lags[-1]]}
