"""Anomaly scores from a sequence autoencoder trained on normal windows only.

Every window of `window` steps of a long series (stride 1) is reconstructed; the score of a
step is its squared reconstruction error averaged over all the windows that contain it
(Malhotra et al. 2016, LSTM encoder-decoder anomaly detection). A step the model could not
have learned to reproduce from normal data scores high. The threshold is a quantile of the
scores of clean series, so its false-alarm rate on normal data is 1 - quantile by
construction (on the series it was fitted to).
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
    errors = [(model(chunk) - chunk).pow(2).squeeze(-1)
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
    return float(torch.quantile(clean_scores.reshape(-1).double(), quantile))
