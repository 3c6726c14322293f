"""A shared recurrent encoder with a tagging head and a sequence head (hard parameter
sharing, Caruana 1997), and the single-task models it is compared with.

The encoder is an LSTM over one-hot symbols. The tagging head reads every step's state; the
sequence head reads the last one. A single-task model is the same network with one head;
`matched_hidden` sizes the two single-task models so that together they hold as many
parameters as the shared one, so the comparison is not one of capacity.
"""
from __future__ import annotations

import torch
from torch import nn

HEADS = ("tag", "seq")


class MultiTaskLSTM(nn.Module):
    def __init__(self, symbols: int, hidden: int, heads: tuple = HEADS) -> None:
        super().__init__()
        self.encoder = nn.LSTM(symbols, hidden, batch_first=True)
        self.heads = nn.ModuleDict({name: nn.Linear(hidden, 2) for name in heads})

    def forward(self, x: torch.Tensor) -> dict:
        """{"tag": (B, T, 2) logits, "seq": (B, 2) logits} for the heads it has."""
        states, _ = self.encoder(x)
        out = {}
        if "tag" in self.heads:
            out["tag"] = self.heads["tag"](states)
        if "seq" in self.heads:
            out["seq"] = self.heads["seq"](states[:, -1])
        return out

    def shared_parameters(self) -> list:
        return list(self.encoder.parameters())


def parameter_count(symbols: int, hidden: int, heads: int) -> int:
    """An LSTM has four gates, each with input and recurrent weights and two biases; each
    head is a linear map to two classes."""
    lstm = 4 * (hidden * symbols + hidden * hidden + 2 * hidden)
    return lstm + heads * (2 * hidden + 2)


def matched_hidden(symbols: int, shared_hidden: int) -> int:
    """The hidden size h for which two one-head models hold closest to the parameters of
    one two-head model of size `shared_hidden`."""
    target = parameter_count(symbols, shared_hidden, 2)
    return min(range(1, 2 * shared_hidden + 1),
               key=lambda h: abs(2 * parameter_count(symbols, h, 1) - target))
