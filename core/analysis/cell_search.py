"""Find the cells that track something: rank every cell by how well it follows a hypothesis
computed from the text (Karpathy, Johnson & Fei-Fei 2015), and LSTMVis's select and match
(Strobelt et al. 2018): the cells on over a selected span, and where else they are on.

`activations` is (T, N), one column per cell, as core.analysis.cell_replay.cell_table gives,
with `cells` naming each column; a hypothesis is one value per position (length T).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# a column whose spread is below this is constant to float precision: no correlation exists
CONSTANT_SPREAD = 1e-12


@dataclass
class Ranking:
    rows: list  # dicts {cell, r, abs_r}, highest |r| first
    message: str | None = None  # why some or all cells could not be ranked


@dataclass
class Match:
    cells: list  # the cells on over the selection and off elsewhere on average
    spans: list  # [start, end) runs where all those cells are on, outside the selection
    on: np.ndarray  # (T,) bool: all selected cells on at that position
    message: str | None = None


def _checked(activations, hypothesis):
    a = np.asarray(activations, dtype=float)
    y = np.asarray(hypothesis, dtype=float)
    if a.ndim != 2 or y.shape != (a.shape[0],):
        raise ValueError(f"the hypothesis has {y.size} values but the activations have "
                         f"{a.shape[0] if a.ndim else 0} positions: they must match")
    return a, y


def pearson_columns(activations: np.ndarray, hypothesis: np.ndarray):
    """Pearson's r of every column with the hypothesis,

        r_j = sum_t (a_tj - mean a_j)(y_t - mean y)
              / sqrt(sum_t (a_tj - mean a_j)^2 * sum_t (y_t - mean y)^2).

    Returns (r (N,), defined (N,) bool): r is 0 and undefined where a column or the
    hypothesis is constant, rather than NaN."""
    a, y = _checked(activations, hypothesis)
    if a.shape[0] == 0:
        return np.zeros(a.shape[1]), np.zeros(a.shape[1], dtype=bool)
    a = a - a.mean(axis=0)
    y = y - y.mean()
    a_norm, y_norm = np.sqrt((a * a).sum(axis=0)), np.sqrt((y * y).sum())
    defined = (a_norm > CONSTANT_SPREAD) & (y_norm > CONSTANT_SPREAD)
    r = np.zeros(a.shape[1])
    r[defined] = (a[:, defined] * y[:, None]).sum(axis=0) / (a_norm[defined] * y_norm)
    return np.clip(r, -1.0, 1.0), defined


def rank_cells(activations, cells, hypothesis, name: str = "the hypothesis",
               top: int | None = None) -> Ranking:
    """Cells by |r| with the hypothesis, highest first (the sign says on vs off when it
    holds). A constant hypothesis ranks nothing; constant cells are left out; both say so."""
    _, y = _checked(activations, hypothesis)
    if y.size < 2 or np.ptp(y) <= CONSTANT_SPREAD:
        shown = f"every value is {y[0]:g}" if y.size else "the text is empty"
        return Ranking([], f"{name} is constant on this text ({shown}): no cell can "
                           "correlate with it; pick a text where it varies")
    r, defined = pearson_columns(activations, y)
    order = [j for j in np.argsort(-np.abs(r), kind="stable") if defined[j]]
    rows = [{"cell": cells[j], "r": float(r[j]), "abs_r": float(abs(r[j]))}
            for j in order[:top]]
    skipped = int((~defined).sum())
    message = (f"{skipped} of {len(cells)} cells are constant on this text and are left "
               "out" if skipped else None)
    return Ranking(rows, message)


def _runs(mask: np.ndarray) -> list:
    """[start, end) of every run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def select_and_match(activations, cells, start: int, end: int, threshold: float,
                     inside: float = 0.8, min_length: int = 1) -> Match:
    """LSTMVis's select and match. A cell is selected when it is on (a >= threshold) at
    least a fraction `inside` of the positions of [start, end) and its mean activation
    outside the span is below the threshold (off elsewhere on average). The matches are the
    runs of at least `min_length` positions, not overlapping the selection, where every
    selected cell is on."""
    a = np.asarray(activations, dtype=float)
    T = a.shape[0]
    if not 0 <= start < end <= T:
        raise ValueError(f"the selection [{start}, {end}) is not a non-empty part of the "
                         f"{T} characters of the probe text")
    if not 0 < inside <= 1:
        raise ValueError(f"the fraction inside the span must be in (0, 1], not {inside}")
    on = a >= threshold
    in_span = np.zeros(T, dtype=bool)
    in_span[start:end] = True
    on_inside = on[in_span].mean(axis=0)
    off_mean = a[~in_span].mean(axis=0) if (~in_span).any() else np.full(a.shape[1], -np.inf)
    chosen = np.flatnonzero((on_inside >= inside) & (off_mean < threshold))
    if chosen.size == 0:
        return Match([], [], np.zeros(T, dtype=bool),
                     f"no cell is on (>= {threshold:g}) over {inside:.0%} of the selection "
                     "and off elsewhere on average: lower the threshold or select another span")
    all_on = on[:, chosen].all(axis=1)
    spans = [(s, e) for s, e in _runs(all_on)
             if (e <= start or s >= end) and e - s >= min_length]
    message = None if spans else (f"the {chosen.size} selected cells are on together "
                                  f"for {min_length}+ characters nowhere else in the text")
    return Match([cells[j] for j in chosen], spans, all_on, message)


def interpretable_cells(activations, hypotheses: dict, threshold: float = 0.5) -> dict:
    """How many cells have |r| >= threshold with each hypothesis (a constant hypothesis
    counts 0), and under "any hypothesis" how many cells reach it with at least one: the
    number the lab compares between tanh RNN, LSTM and GRU."""
    a = np.asarray(activations, dtype=float)
    counts, any_hit = {}, np.zeros(a.shape[1], dtype=bool)
    for name, values in hypotheses.items():
        r, defined = pearson_columns(a, values)
        hit = defined & (np.abs(r) >= threshold)
        counts[name] = int(hit.sum())
        any_hit |= hit
    counts["any hypothesis"] = int(any_hit.sum())
    return counts
