"""Three classifiers of one-hot DNA: a CNN, a BiLSTM on raw bases, and the CNN -> BiLSTM
hybrid (the DanQ pattern, Quang & Xie 2016: convolution finds motifs, the recurrent layer
reads their order and spacing).

Each takes x of shape (B, L, 4) and returns one logit per sequence. The CNN and the hybrid
share their first layer's shape (filters as wide as the motif, so each filter can become a
motif detector whose logo is read off its activations).
"""
from __future__ import annotations

import torch
from torch import nn

KINDS = ("hybrid", "cnn", "rnn")


class MotifScanner(nn.Module):
    """Conv1d over bases, ReLU, max-pool: motif detectors, downsampled along the sequence."""

    def __init__(self, filters: int, width: int, pool: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, filters, width)
        self.pool = nn.MaxPool1d(pool, ceil_mode=True)

    def activations(self, x: torch.Tensor) -> torch.Tensor:
        """(B, filters, L - width + 1): each filter's response at each window."""
        return torch.relu(self.conv(x.transpose(1, 2)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.activations(x))


class MotifCNN(nn.Module):
    """Two convolutions and a global max-pool: sees motifs, and pairs of motifs only when
    both fit its receptive field; beyond that it knows which motifs occur, not in what
    order. A second-layer output reads kernel2 pooled positions, each the maximum over pool
    first-layer windows of `width` bases: width - 1 + pool·kernel2 bases in all."""

    def __init__(self, filters: int, width: int, pool: int, kernel2: int = 3) -> None:
        super().__init__()
        self.scanner = MotifScanner(filters, width, pool)
        self.conv2 = nn.Conv1d(filters, filters, kernel2, padding=kernel2 // 2)
        self.head = nn.Linear(filters, 1)
        self.receptive_field = width - 1 + pool * kernel2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.conv2(self.scanner(x)))
        return self.head(h.amax(-1)).squeeze(-1)


class BiLSTMReader(nn.Module):
    """A bidirectional LSTM over a sequence of feature vectors; the two final states, joined,
    summarise it."""

    def __init__(self, input_size: int, hidden: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, 1)

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(seq)
        return self.head(torch.cat([h[0], h[1]], -1)).squeeze(-1)


class DnaRNN(nn.Module):
    """The BiLSTM alone, reading raw bases one at a time."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.reader = BiLSTMReader(4, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.reader(x)


class HybridCNNBiLSTM(nn.Module):
    """Motif detectors (conv + max-pool) feeding a BiLSTM that reads their order."""

    def __init__(self, filters: int, width: int, pool: int, hidden: int) -> None:
        super().__init__()
        self.scanner = MotifScanner(filters, width, pool)
        self.reader = BiLSTMReader(filters, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.reader(self.scanner(x).transpose(1, 2))


def build_dna_model(kind: str, *, filters: int, width: int, pool: int, hidden: int) -> nn.Module:
    if kind == "hybrid":
        return HybridCNNBiLSTM(filters, width, pool, hidden)
    if kind == "cnn":
        return MotifCNN(filters, width, pool)
    if kind == "rnn":
        return DnaRNN(hidden)
    raise ValueError(f"unknown DNA model {kind!r}; expected one of {KINDS}")


def saliency(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Gradient × input summed over the four channels, (B, L): how much the logit would
    change, to first order, if the base at each position were removed (Simonyan et al. 2014;
    Shrikumar et al. 2017). For a model linear in the one-hot input it is exactly the weight
    of the base present at each position."""
    x = x.detach().clone().requires_grad_(True)
    was_training = model.training
    model.eval()
    with torch.enable_grad():
        logit = model(x).sum()
        (grad,) = torch.autograd.grad(logit, x)
    model.train(was_training)
    return (grad * x).sum(-1).detach()
