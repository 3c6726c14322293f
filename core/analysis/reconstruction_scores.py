"""Anomaly scores from a sequence autoencoder trained on normal windows only.

Every window of `window` steps of a long series (stride 1) is reconstructed; the score of a
step is its squared reconstruction error averaged over all the windows that contain it
(Malhotra et al. 2016, LSTM encoder-decoder anomaly detection). A step the model could not
have learned to reproduce from normal data scores high. Every decoder form is scored as it
runs at test time: the autoregressive one from its own previous outputs (free running), not
from the true previous values it was trained with.

The threshold is a quantile q of the scores of clean series, so on the series it was fitted
to its false-alarm rate is 1 - q by construction: that is its target, not a measurement.
The false-alarm rate worth reporting is the one on normal steps the threshold never saw
(false_alarm_rate on held-out series).
"""
from __future__ import annotations

import torch

BATCH_WINDOWS = 4096  # windows reconstructed at once; bounds memory on long probes


@torch.no_grad()
def step_scores(model, series: torch.Tensor, window: int) -> torch.Tensor:
    """(S, N) per-step anomaly scores of series (S, N)."""
    S, N = series.shape
    windows = series.unfold(1, window, 1)  # (S, N - window + 1, window)
    count = windows.shape[1]
    flat = windows.reshape(-1, window, 1)
    was_training = model.training
    model.eval()
    # teacher_forcing=False: the autoregressive decoder reads its own previous output, as it
    # does at test time (the other forms ignore the flag)
    errors = [(model(chunk, teacher_forcing=False) - chunk).pow(2).squeeze(-1)
              for chunk in flat.split(BATCH_WINDOWS)]
    model.train(was_training)
    return fold_mean(torch.cat(errors).reshape(S, count, window), N)


def fold_mean(err: torch.Tensor, length: int) -> torch.Tensor:
    """Average window errors (S, count, window) back onto the steps they cover, (S, length):
    window i covers steps i .. i + window - 1."""
    S, count, window = err.shape
    total = err.new_zeros(S, length)
    covered = err.new_zeros(length)
    for j in range(window):
        total[:, j:j + count] += err[:, :, j]
        covered[j:j + count] += 1
    return total / covered.clamp_min(1)


def quantile_threshold(clean_scores: torch.Tensor, quantile: float) -> float:
    """The `quantile` of the clean scores: about 1 - quantile of them lie above it."""
    return float(torch.quantile(clean_scores.reshape(-1).double(), quantile))


def false_alarm_rate(scores: torch.Tensor, threshold: float,
                     labels: torch.Tensor | None = None) -> float:
    """Share of normal steps (label 0; every step when `labels` is None) scoring at or
    above the threshold. Measured on series the threshold was not fitted to, it is the
    held-out false-alarm rate; on the fitted series it only returns the target."""
    normal = scores.reshape(-1) if labels is None else scores[labels < 0.5]
    return float((normal >= threshold).float().mean()) if normal.numel() else 0.0
