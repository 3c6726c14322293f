"""Sequence logos: what a motif, or a convolution filter, says about each base.

Information content (Schneider & Stephens 1990): for a column with base probabilities p_b,
IC = log2 4 - H, H = -Σ_b p_b log2 p_b, in bits (0 for a uniform column, 2 for a single
base). In a logo each letter is drawn p_b · IC tall, so a column's height is its IC.

A filter's logo is read off its activations, as for DeepBind and Basset (Alipanahi et al.
2015; Kelley et al. 2016): the windows where the filter responds with at least half its
maximum activation are stacked, their bases counted per position, and the counts turned
into probabilities.
"""
from __future__ import annotations

import math

import torch

ACTIVATION_FRACTION = 0.5


def information_content(counts) -> dict:
    """IC per column and letter heights p_b · IC from a (width, 4) count (or probability)
    matrix. A column with no counts is uniform (IC 0)."""
    c = torch.as_tensor(counts, dtype=torch.float64, device="cpu")
    totals = c.sum(1, keepdim=True)
    p = torch.where(totals > 0, c / totals.clamp_min(1e-300), torch.full_like(c, 0.25))
    plogp = torch.where(p > 0, p * torch.log2(p.clamp_min(1e-300)), torch.zeros_like(p))
    ic = math.log2(4) + plogp.sum(1)
    return {"probabilities": p.tolist(), "ic": ic.tolist(),
            "heights": (p * ic.unsqueeze(1)).tolist()}


@torch.no_grad()
def filter_count_matrices(activations: torch.Tensor, onehot: torch.Tensor,
                          width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Base counts (filters, width, 4) over the windows where each filter's activation is
    at least ACTIVATION_FRACTION of its maximum over the batch, and how many windows each
    filter stacked. activations: (B, filters, L - width + 1); onehot: (B, L, 4)."""
    windows = onehot.unfold(1, width, 1)  # (B, L - width + 1, 4, width)
    top = activations.amax(dim=(0, 2), keepdim=True)
    chosen = (activations >= ACTIVATION_FRACTION * top) & (top > 0)  # (B, F, positions)
    counts = torch.einsum("bfp,bpcw->fwc", chosen.float(), windows.float())
    return counts, chosen.sum(dim=(0, 2))


def column_similarity(p: torch.Tensor, q: torch.Tensor) -> float:
    """Mean over columns of 1 - total-variation distance, 1 - ½ Σ_b |p_b - q_b|: 1 for the
    same distributions, 0 for columns that share no base."""
    return float((1 - 0.5 * (p - q).abs().sum(-1)).mean())


def best_alignment(filter_probs: torch.Tensor, motif_probs: torch.Tensor,
                   max_shift: int = 2) -> tuple[float, int]:
    """(similarity, shift) of the best placement of a filter's logo over a motif's, shifting
    up to max_shift positions either way (a filter may have learned the motif off by one)."""
    w = motif_probs.shape[0]
    best = (-1.0, 0)
    for shift in range(-max_shift, max_shift + 1):
        lo, hi = max(0, shift), min(w, w + shift)
        if hi - lo < w - max_shift:
            continue
        score = column_similarity(filter_probs[lo - shift:hi - shift], motif_probs[lo:hi])
        best = max(best, (score, shift))
    return best


def match_filters(counts: torch.Tensor, motifs: list) -> list[dict]:
    """For each motif's probability matrix, the filter whose logo matches it best."""
    totals = counts.sum(-1, keepdim=True)
    probs = torch.where(totals > 0, counts / totals.clamp_min(1e-12),
                        torch.full_like(counts, 0.25))
    found = []
    for motif in motifs:
        scored = [(*best_alignment(probs[f], motif), f) for f in range(probs.shape[0])]
        score, shift, f = max(scored)
        found.append({"filter": f, "similarity": score, "shift": shift,
                      "counts": counts[f].tolist()})
    return found
