"""What a trained character model is asked: held-out bits per character, samples at a
temperature, the predictive entropy against temperature, how word-like its samples are, and
what its cells do along a probe text (the start of the held-out text): which cells track a
hypothesis computed from the text, where cells selected on a span are on again, how often
each gate saturates, and where the model beats the best n-gram.

Temperature T divides the logits before the softmax, p_T(c) ∝ exp(z_c / T): T = 1 is the
model's own distribution, T → 0 puts all the mass on the most likely character (greedy), and
T → ∞ flattens it towards uniform (entropy log2 V).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import torch

from core.analysis import char_errors
from core.analysis.cell_replay import Replay, cell_table, replay
from core.analysis.cell_search import (Match, Ranking, interpretable_cells, rank_cells,
                                       select_and_match)
from core.analysis.gate_saturation import GateSaturation, gate_saturation
from core.analysis.text_hypotheses import text_hypotheses

GREEDY_BELOW = 1e-3  # temperatures this small sample the argmax exactly
ENTROPY_TEMPERATURES = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.85, 1.0, 1.25, 1.5, 2.0, 3.0)
PROBE_CHARS = 1000  # characters of held-out text the cells are read along
INTERPRETABLE_R = 0.5  # a cell is interpretable when |Pearson r| >= this with a hypothesis
WORD = re.compile(r"[^\W\d_]{2,}")  # a run of two or more letters, in any script


def tempered_log_probs(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """log p_T = log softmax(z / T); at T below GREEDY_BELOW, log of a one-hot argmax."""
    if temperature < GREEDY_BELOW:
        top = logits.argmax(-1, keepdim=True)
        return torch.full_like(logits, -math.inf).scatter(-1, top, 0.0)
    return torch.log_softmax(logits / temperature, dim=-1)


def entropy_bits(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Entropy of p_T at every position, in bits: -Σ p log2 p (0 for the greedy limit)."""
    logp = tempered_log_probs(logits, temperature)
    p = logp.exp()
    return -(p * torch.where(p > 0, logp, torch.zeros_like(logp))).sum(-1) / math.log(2)


def nats_to_bits(nats: float) -> float:
    """Bits per character = nats per character / ln 2."""
    return nats / math.log(2)


@torch.no_grad()
def held_out_logits(model, rows: torch.Tensor) -> torch.Tensor:
    """Logits for every position of the held-out rows (each row read from a zero state)."""
    model.eval()
    logits, _ = model(rows)
    model.train()
    return logits


def bits_per_char(logits: torch.Tensor, rows: torch.Tensor) -> float:
    """Mean cross-entropy in bits of rows[:, 1:] given the logits at rows[:, :-1]."""
    nats = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                             rows[:, 1:].reshape(-1))
    return nats_to_bits(float(nats.detach()))


def entropy_curve(logits: torch.Tensor, temperatures=ENTROPY_TEMPERATURES) -> dict:
    """Mean predictive entropy (bits) over held-out positions at each temperature."""
    flat = logits[:, :-1].reshape(-1, logits.shape[-1])
    return {"temperature": list(temperatures),
            "entropy_bits": [float(entropy_bits(flat, t).mean()) for t in temperatures]}


@torch.no_grad()
def sample(model, prompt_ids: list[int], length: int, temperature: float,
           generator: torch.Generator) -> list[int]:
    """`length` characters drawn one at a time from p_T after reading `prompt_ids`."""
    model.eval()
    device = next(model.parameters()).device
    ids = torch.tensor([prompt_ids], device=device)
    logits, state = model(ids)
    out = []
    for _ in range(length):
        logp = tempered_log_probs(logits[0, -1], temperature)
        if temperature < GREEDY_BELOW:
            nxt = int(logp.argmax())
        else:
            nxt = int(torch.multinomial(logp.exp().cpu(), 1, generator=generator))
        out.append(nxt)
        logits, state = model(torch.tensor([[nxt]], device=device), state)
    model.train()
    return out


def word_set(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text)}


def known_word_fraction(sample_text: str, vocabulary: set[str]) -> float | None:
    """The fraction of the sample's words (runs of 2+ letters) found in `vocabulary`;
    None for a sample with no words."""
    words = [w.lower() for w in WORD.findall(sample_text)]
    if not words:
        return None
    return sum(w in vocabulary for w in words) / len(words)


def ngram_sample(ngram, prompt_ids: list[int], length: int, temperature: float,
                 seed: int) -> list[int]:
    """A sample of the n-gram model at the same temperature (greedy below GREEDY_BELOW)."""
    rng = np.random.default_rng(seed)
    return ngram.sample(prompt_ids, length, max(temperature, GREEDY_BELOW), rng)


@dataclass
class CellView:
    """One model read along the probe text: its replay, every cell's activation as a column
    (activations (T, N), cells naming them), and the text's hypotheses."""
    text: str
    ids: list
    replay: Replay
    activations: np.ndarray
    cells: list
    hypotheses: dict


def probe_ids(data) -> list[int]:
    """The first PROBE_CHARS characters of the held-out text (never trained on), as ids."""
    return data.held_rows.reshape(-1)[:PROBE_CHARS].tolist()


def cell_view(model, data) -> CellView:
    """Replay `model` over the probe text from the zero state (core.analysis.cell_replay)."""
    ids = probe_ids(data)
    text = data.vocab.decode(ids)
    traced = replay(model, ids)
    activations, cells = cell_table(traced)
    return CellView(text, ids, traced, activations, cells, text_hypotheses(text))


def cell_activation(view: CellView, index: int) -> np.ndarray:
    """One cell's activation along the probe text (a column of view.activations)."""
    if not 0 <= index < len(view.cells):
        raise ValueError(f"cell {index} does not exist: this model has {len(view.cells)}")
    return view.activations[:, index]


def rank_for(view: CellView, hypothesis: str, top: int = 10) -> Ranking:
    """The cells that best track `hypothesis` (one of view.hypotheses), by |Pearson r|."""
    if hypothesis not in view.hypotheses:
        raise ValueError(f"unknown hypothesis {hypothesis!r}: one of "
                         f"{', '.join(view.hypotheses)}")
    return rank_cells(view.activations, view.cells, view.hypotheses[hypothesis],
                      hypothesis, top)


def match_span(view: CellView, start: int, end: int, threshold: float) -> Match:
    """LSTMVis's select and match on the probe text: the cells on over [start, end) and
    off elsewhere on average, and the other runs where they are all on."""
    return select_and_match(view.activations, view.cells, start, end, threshold)


def saturation(view: CellView) -> GateSaturation | None:
    """Each gate's left (< 0.1) and right (> 0.9) saturated fractions; None for tanh RNN."""
    return gate_saturation(view.replay)


def best_ngram_order(data) -> int:
    """The n-gram order with the lowest held-out bits per character."""
    return min(data.ngram_bits, key=data.ngram_bits.get)


def errors(view: CellView, data) -> dict:
    """Model bits minus the best n-gram's bits at every character of the probe text, their
    summary, and the same summed and averaged by distance to the innermost open bracket or
    quote (core.analysis.char_errors)."""
    n = best_ngram_order(data)
    diff = char_errors.loss_difference(view.replay.logits, view.ids, data.ngrams[n])
    return {"order": n, "difference": diff, "summary": char_errors.summary(diff),
            "by_distance": char_errors.by_distance(diff, view.text)}


def interpretable_counts(view: CellView) -> dict:
    """How many of the model's cells have |r| >= INTERPRETABLE_R with each text hypothesis
    along the probe text, and with any of them (the compare's count)."""
    counts = interpretable_cells(view.activations, view.hypotheses, INTERPRETABLE_R)
    return {**counts, "cells": len(view.cells)}


def _rounded(values, digits: int = 3) -> list:
    return np.round(np.asarray(values, dtype=float), digits).tolist()


def inspection(view: CellView, data, top: int = 5) -> dict:
    """What the page shows of one model's cells without the model itself (a stored run has
    none): the probe text, for every hypothesis its `top` cells by |r| with the best one's
    activation along the text, the gates' saturation fractions, and the loss difference
    against the best n-gram along the text and by distance to the open bracket or quote."""
    ranked = {}
    for name, values in view.hypotheses.items():
        ranking = rank_for(view, name, top)
        rows = [{"cell": row["cell"].name(), "index": view.cells.index(row["cell"]),
                 "r": row["r"]} for row in ranking.rows]
        ranked[name] = {"rows": rows, "message": ranking.message, "values": _rounded(values),
                        "best": _rounded(cell_activation(view, rows[0]["index"]))
                        if rows else None}
    gates = saturation(view)
    found = errors(view, data)
    return {"text": view.text, "cells": len(view.cells), "ranked": ranked,
            "gates": None if gates is None else {
                "layer": gates.layer.tolist(), "unit": gates.unit.tolist(),
                "left": {k: _rounded(v) for k, v in gates.left.items()},
                "right": {k: _rounded(v) for k, v in gates.right.items()}},
            "errors": {"order": found["order"], "summary": found["summary"],
                       "by_distance": found["by_distance"],
                       "along_text": _rounded(found["difference"].along_text())}}


def stored_saturation(gates: dict | None) -> GateSaturation | None:
    """The GateSaturation an inspection stored (None for a tanh RNN)."""
    if gates is None:
        return None
    return GateSaturation(np.asarray(gates["layer"]), np.asarray(gates["unit"]),
                          {k: np.asarray(v) for k, v in gates["left"].items()},
                          {k: np.asarray(v) for k, v in gates["right"].items()})
