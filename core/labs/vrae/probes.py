"""The VRAE page's interactive probes, headless: each takes a finished Result whose trained
model is still in memory (`result.artifacts["probe"]`, a core.analysis.latent_probes.LatentProbe
over the test inputs) and returns what the page draws. Bad requests raise ValueError with a
message naming the problem; a typed word's length is checked before any work.

Every decode is free-running from z, so what is shown is what the latent vector alone carries.
"""
from __future__ import annotations

import math

from core.analysis.latent_probes import LatentProbe
from core.contract import Result
from core.text_limits import VRAE_WORD_MAX_CHARS

MIN_POINTS, MAX_POINTS = 3, 15  # points on an explored path
MAX_SAMPLES = 16
MAX_TEMPERATURE = 3.0
MAX_ALPHA = 3.0


def _probe(result: Result) -> LatentProbe:
    probe = result.artifacts.get("probe")
    if probe is None:
        raise ValueError("this result has no trained model in memory (it was precomputed or "
                         "loaded); press Train to explore its latent space")
    return probe


def _index(probe: LatentProbe, i: int, name: str) -> int:
    n = len(probe.labels())
    if not 0 <= int(i) < n:
        raise ValueError(f"{name} must be one of the {n} test inputs (0 to {n - 1}), got {i}")
    return int(i)


def _class(probe: LatentProbe, c: int, name: str) -> int:
    names = probe.task.class_names
    if not 0 <= int(c) < len(names):
        raise ValueError(f"{name} must be a class 0 to {len(names) - 1}, got {c}")
    return int(c)


def example_names(result: Result) -> list[str]:
    """"k: description" of every test input, for pickers."""
    probe = _probe(result)
    return [f"{k}: {probe.describe(k)}" for k in range(len(probe.labels()))]


def class_names(result: Result) -> list[str]:
    return list(_probe(result).task.class_names)


def path_between(result: Result, i: int, j: int, points: int = 9) -> dict:
    """Decodes along z_λ = (1 − λ) μ_i + λ μ_j, with the path's smoothness and validity
    (core.analysis.latent_probes.LatentProbe.path_quality)."""
    probe = _probe(result)
    if not MIN_POINTS <= int(points) <= MAX_POINTS:
        raise ValueError(f"points on the path must be {MIN_POINTS} to {MAX_POINTS}, got {points}")
    return probe.interpolation(_index(probe, i, "input a"), _index(probe, j, "input b"),
                               int(points))


def reconstruction(result: Result, i: int) -> dict:
    """Test input `i` and what the decoder makes of its latent mean alone."""
    probe = _probe(result)
    return probe.reconstruct(_index(probe, i, "input"))


def typed_word(result: Result, text: str) -> dict:
    """A typed word encoded to its latent mean and decoded back. The length is checked
    first, so a huge paste costs nothing; then the letters (core.tasks.words.validate_word)."""
    if len(text) > VRAE_WORD_MAX_CHARS:
        raise ValueError(f"the text has {len(text)} characters; type one word of at most "
                         f"{VRAE_WORD_MAX_CHARS} characters")
    probe = _probe(result)
    if not probe.discrete:
        raise ValueError("typed words need a model trained on the words data set")
    return probe.reconstruct_word(text)


def prior_samples(result: Result, n: int, temperature: float, label: int = 0) -> list:
    """Decodes of z = temperature·ε, ε ~ N(0, I) from the run's "examples" stream."""
    probe = _probe(result)
    if not 1 <= int(n) <= MAX_SAMPLES:
        raise ValueError(f"samples must be 1 to {MAX_SAMPLES}, got {n}")
    if not (math.isfinite(temperature) and 0 < temperature <= MAX_TEMPERATURE):
        raise ValueError(f"temperature must be above 0 and at most {MAX_TEMPERATURE}, "
                         f"got {temperature}")
    return probe.prior_samples(int(n), float(temperature), result.config["seed"],
                               _class(probe, label, "class"))


def attribute_walk(result: Result, i: int, to_class: int, from_class: int,
                   alphas: list[float]) -> dict:
    """z_i + α·v for each α, v = mean μ(to_class) − mean μ(from_class) over the test inputs
    (White 2016's attribute vectors; Bowman et al. 2016)."""
    probe = _probe(result)
    if not alphas or not all(math.isfinite(a) and abs(a) <= MAX_ALPHA for a in alphas):
        raise ValueError(f"each α must be a number from −{MAX_ALPHA} to {MAX_ALPHA}")
    return probe.arithmetic(_index(probe, i, "input"), _class(probe, to_class, "towards"),
                            _class(probe, from_class, "away from"), list(alphas))
