"""A character-level language model: embedding, a fused tanh RNN / LSTM / GRU, a linear
read-out to next-character logits (Karpathy, Johnson & Fei-Fei 2015, "Visualizing and
Understanding Recurrent Networks"; char-rnn).

Training runs on PyTorch's fused kernels; an inspector replays the same weights step by step
(`.rnn`'s weight_ih_l*/weight_hh_l*/bias_* in PyTorch's gate order). The read-out starts
with small weights and zero bias, so the untrained model's distribution is close to uniform
and its cross-entropy starts near log2 V bits per character.
"""
from __future__ import annotations

import torch
from torch import nn

CELLS = ("lstm", "gru", "rnn")
HEAD_INIT_SCALE = 0.05  # logits start within a few hundredths of each other


class CharLM(nn.Module):
    def __init__(self, vocab_size: int, hidden: int, layers: int = 1, cell: str = "lstm",
                 embed: int | None = None) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; expected one of {', '.join(CELLS)}")
        self.cell, self.vocab_size, self.hidden, self.layers = cell, vocab_size, hidden, layers
        embed = embed or min(64, max(8, vocab_size))
        self.embed = nn.Embedding(vocab_size, embed)
        if cell == "rnn":
            self.rnn = nn.RNN(embed, hidden, num_layers=layers, nonlinearity="tanh",
                              batch_first=True)
        else:
            self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell](embed, hidden, num_layers=layers,
                                                              batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)
        with torch.no_grad():
            self.head.weight.mul_(HEAD_INIT_SCALE)
            self.head.bias.zero_()

    def forward(self, ids: torch.Tensor, state=None):
        """Logits (B, T, V) for the character after each of `ids` (B, T), and the final
        state (h, or (h, c) for the LSTM) to carry into the next chunk."""
        out, state = self.rnn(self.embed(ids), state)
        return self.head(out), state

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())


def detach_state(state):
    """The state with its history cut: truncated backpropagation through time."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()
