"""Losses for rare positives and the scores that judge a detector of them.

Losses, on logits z with p = σ(z) and labels y ∈ {0, 1}:
- plain cross-entropy: -[y log p + (1 - y) log(1 - p)];
- class-weighted: the positive term multiplied by w (w = (1 - ρ)/ρ for a positive rate ρ
  makes positives and negatives weigh the same in total);
- focal (Lin et al. 2017, eq. 5): -α_t (1 - p_t)^γ log p_t, with p_t = p for positives and
  1 - p for negatives, α_t = α for positives and 1 - α for negatives. γ = 0, α = 1/2 is half
  the plain loss; larger γ silences the easy, confidently right examples (most negatives).

Scores, from per-item scores s and labels y:
- precision TP/(TP + FP) and recall TP/(TP + FN) at a threshold;
- average precision AP = Σ_n (R_n - R_(n-1)) P_n over the distinct thresholds from high to
  low — the area under the precision-recall curve as a step function. A detector that gives
  every item the same score (the all-negative classifier, ranked) has AP = ρ;
- ROC AUC = P(s of a random positive > s of a random negative) + ½ P(equal), the
  Mann-Whitney statistic.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

LOSSES = ("plain", "weighted", "focal")
FOCAL_ALPHA = 0.25  # Lin et al.'s choice with γ = 2


def event_loss(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor, kind: str, *,
               pos_weight: float = 1.0, gamma: float = 2.0,
               alpha: float = FOCAL_ALPHA) -> torch.Tensor:
    """Mean loss over the supervised items (mask 1)."""
    if kind == "plain":
        each = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    elif kind == "weighted":
        each = F.binary_cross_entropy_with_logits(
            logits, targets, reduction="none",
            pos_weight=torch.tensor(pos_weight, device=logits.device))
    elif kind == "focal":
        each = focal_loss(logits, targets, gamma=gamma, alpha=alpha)
    else:
        raise ValueError(f"unknown loss {kind!r}; expected one of {LOSSES}")
    return (each * mask).sum() / mask.sum().clamp_min(1.0)


def focal_loss(logits: torch.Tensor, targets: torch.Tensor, *, gamma: float,
               alpha: float) -> torch.Tensor:
    """Per item -α_t (1 - p_t)^γ log p_t, computed from log-sigmoids for stability."""
    log_p = F.logsigmoid(logits)
    log_not_p = F.logsigmoid(-logits)
    log_pt = targets * log_p + (1 - targets) * log_not_p
    pt = log_pt.exp()
    alpha_t = targets * alpha + (1 - targets) * (1 - alpha)
    return -alpha_t * (1 - pt).pow(gamma) * log_pt


def balanced_pos_weight(rate: float) -> float:
    return (1.0 - rate) / max(rate, 1e-12)


def precision_recall(scores: torch.Tensor, labels: torch.Tensor,
                     threshold: float) -> tuple[float | None, float]:
    """(precision, recall) of calling every item with score >= threshold positive;
    precision is None (undefined) when nothing is called."""
    called = scores >= threshold
    positive = labels > 0.5
    tp = float((called & positive).sum())
    fp = float((called & ~positive).sum())
    fn = float((~called & positive).sum())
    precision = tp / (tp + fp) if tp + fp > 0 else None
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    return precision, recall


def _ranked(scores: torch.Tensor, labels: torch.Tensor):
    """Labels sorted by falling score, and where each run of tied scores ends."""
    s = scores.detach().reshape(-1).double().cpu()
    y = (labels.detach().reshape(-1).cpu() > 0.5).double()
    order = torch.argsort(s, descending=True, stable=True)
    s, y = s[order], y[order]
    last_of_tie = torch.ones_like(s, dtype=torch.bool)
    last_of_tie[:-1] = s[1:] != s[:-1]
    return y, last_of_tie


def _pr_tensors(scores: torch.Tensor, labels: torch.Tensor):
    y, ends = _ranked(scores, labels)
    tp = y.cumsum(0)[ends]
    called = torch.arange(1, y.numel() + 1, dtype=torch.double, device="cpu")[ends]
    total = float(y.sum())
    recall = (tp / total) if total > 0 else torch.zeros_like(tp)
    return tp / called, recall


def precision_recall_curve(scores: torch.Tensor, labels: torch.Tensor) -> dict:
    """Precision and recall at every distinct threshold, from the highest score down."""
    precision, recall = _pr_tensors(scores, labels)
    return {"precision": precision.tolist(), "recall": recall.tolist()}


def average_precision(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """AP = Σ (R_n - R_(n-1)) P_n, R_0 = 0; 0 when there is no positive."""
    precision, recall = _pr_tensors(scores, labels)
    steps = torch.diff(recall, prepend=torch.zeros(1, dtype=recall.dtype, device="cpu"))
    return float((steps * precision).sum())


def _roc_tensors(scores: torch.Tensor, labels: torch.Tensor):
    y, ends = _ranked(scores, labels)
    tp = y.cumsum(0)[ends]
    fp = (1 - y).cumsum(0)[ends]
    pos, neg = float(y.sum()), float((1 - y).sum())
    zero = torch.zeros(1, dtype=tp.dtype, device="cpu")
    tpr = torch.cat([zero, tp / pos if pos > 0 else torch.zeros_like(tp)])
    fpr = torch.cat([zero, fp / neg if neg > 0 else torch.zeros_like(fp)])
    return fpr, tpr


def roc_curve(scores: torch.Tensor, labels: torch.Tensor) -> dict:
    """False- and true-positive rates at every distinct threshold, from (0, 0) to (1, 1)."""
    fpr, tpr = _roc_tensors(scores, labels)
    return {"fpr": fpr.tolist(), "tpr": tpr.tolist()}


def roc_auc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Area under the ROC curve by the trapezoid rule, which counts ties as one half."""
    fpr, tpr = _roc_tensors(scores, labels)
    return float((torch.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2).sum())
