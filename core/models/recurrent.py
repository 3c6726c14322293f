"""A recurrent core (tanh RNN, LSTM, GRU or a fixed linear recurrence) with a linear read-out.

Training uses PyTorch's fused kernels; `core.models.instrumented` replays the same weights
step by step when a lab needs to look inside (gradients per timestep, gate activations).
"""
from __future__ import annotations

import torch
from torch import nn

FUSED = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
CELLS = ("rnn", "lstm", "gru", "linear")


class LinearRecurrence(nn.Module):
    """h_t = a·h_{t-1} + W x_t with the recurrent weight fixed at a·I, so that
    dh_T/dh_t = a^(T-t)·I exactly and measurements can be checked against the closed form."""

    def __init__(self, input_size: int, hidden: int, a: float) -> None:
        super().__init__()
        self.input_proj = nn.Linear(input_size, hidden)
        self.register_buffer("a", torch.tensor(float(a)))

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None):
        h = x.new_zeros(x.shape[0], self.input_proj.out_features) if h0 is None else h0
        drive = self.input_proj(x)
        outs = []
        for t in range(x.shape[1]):
            h = self.a * h + drive[:, t]
            outs.append(h)
        return torch.stack(outs, 1), h


class RecurrentClassifier(nn.Module):
    def __init__(self, cell: str, input_size: int, hidden: int, classes: int, *,
                 init_scale: float = 1.0, forget_bias: float = 0.0, a: float = 1.0) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; expected one of {CELLS}")
        self.cell, self.hidden = cell, hidden
        if cell == "linear":
            self.core = LinearRecurrence(input_size, hidden, a)
        else:
            self.core = FUSED[cell](input_size, hidden, batch_first=True)
            with torch.no_grad():
                self.core.weight_hh_l0.mul_(init_scale)
                if cell in ("lstm", "gru"):
                    # PyTorch gate order: LSTM (i, f, g, o), GRU (r, z, n). The second block
                    # is the LSTM forget gate, or the GRU update gate z, whose value is the
                    # fraction of h_{t-1} kept; a positive bias on either starts the cell
                    # remembering by default.
                    self.core.bias_ih_l0[hidden:2 * hidden] = forget_bias
                    self.core.bias_hh_l0[hidden:2 * hidden] = 0.0
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor, tbptt_k: int = 0) -> torch.Tensor:
        """Logits at every step, (B, T, classes). With tbptt_k > 0 the hidden state is
        detached every k steps, counted back from the end, so the last step's loss reaches
        exactly k steps into the past (truncated backpropagation through time)."""
        T = x.shape[1]
        if tbptt_k <= 0 or tbptt_k >= T:
            out, _ = self.core(x)
            return self.head(out)
        bounds = list(range(T, 0, -tbptt_k))[::-1]
        starts = [0] + bounds[:-1]
        outs, state = [], None
        for s, e in zip(starts, bounds):
            out, state = self.core(x[:, s:e], state)
            state = tuple(h.detach() for h in state) if isinstance(state, tuple) else state.detach()
            outs.append(out)
        return self.head(torch.cat(outs, 1))

    def recurrent_spectral_radius(self) -> float:
        """Largest |eigenvalue| of the recurrent matrix (per gate block for gated cells)."""
        if self.cell == "linear":
            return abs(float(self.core.a))
        w = self.core.weight_hh_l0.detach().float().cpu()
        blocks = w.split(self.hidden, dim=0)
        return max(float(torch.linalg.eigvals(b).abs().max()) for b in blocks)
