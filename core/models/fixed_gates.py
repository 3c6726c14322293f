"""Gates held at fixed values: a GRU that is a tanh RNN, and an LSTM whose forget gate is
pinned.

A GRU step (PyTorch's convention, Cho et al. 2014) is

    r = sigma(W_ir x + b_ir + W_hr h + b_hr)        z = sigma(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))   h' = (1 - z) * n + z * h.

With the reset gate held at r = 1 and the update gate at z = 0 this is
h' = tanh(W_in x + b_in + W_hn h + b_hn): the vanilla tanh RNN whose weights are the GRU's
candidate block. So a simple RNN is a gated cell whose gates are fixed; freeing them is what
lets the cell decide, per unit and step, how much of its past to keep.

An LSTM's cell state runs c_t = f_t * c_(t-1) + i_t * g_t. Pinning the forget gate at p (its
weights zero, its bias logit(p), and no gradient reaching them) makes every step of that
highway multiply the backward signal by exactly p.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from core.models.recurrent import RecurrentClassifier


class FixedGateGRU(nn.Module):
    """A GRU tagger (logits at every step). With `fixed_gates` the reset and update gates are
    held at r = 1, z = 0 and the step is computed from the GRU's own weights, so it is a tanh
    RNN; without, it is an ordinary GRU (fused kernel)."""

    def __init__(self, input_size: int, hidden: int, classes: int, fixed_gates: bool) -> None:
        super().__init__()
        self.hidden, self.fixed_gates = hidden, fixed_gates
        self.core = nn.GRU(input_size, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.fixed_gates:
            out, _ = self.core(x)
            return self.head(out)
        return self.head(self.states_with_fixed_gates(x))

    def states_with_fixed_gates(self, x: torch.Tensor, reset: float = 1.0,
                                update: float = 0.0) -> torch.Tensor:
        """Hidden states (B, T, H) of the GRU step with r and z held at the given values."""
        H, core = self.hidden, self.core
        rows = slice(2 * H, 3 * H)  # the candidate block n (PyTorch order r, z, n)
        drive = x @ core.weight_ih_l0[rows].T + core.bias_ih_l0[rows]
        w_hn, b_hn = core.weight_hh_l0[rows], core.bias_hh_l0[rows]
        h = x.new_zeros(x.shape[0], H)
        states = []
        for t in range(x.shape[1]):
            n = torch.tanh(drive[:, t] + reset * (h @ w_hn.T + b_hn))
            h = (1.0 - update) * n + update * h
            states.append(h)
        return torch.stack(states, 1)


def tanh_rnn_sharing_weights(gru: FixedGateGRU) -> RecurrentClassifier:
    """The tanh RNN whose weights are the GRU's candidate block and read-out: what the GRU
    computes with r = 1, z = 0."""
    H = gru.hidden
    core = gru.core
    # built on the meta device (no initial values drawn, so no generator touched), then
    # given storage and every weight copied in
    with torch.device("meta"):
        rnn = RecurrentClassifier("rnn", core.input_size, H, gru.head.out_features)
    rnn = rnn.to_empty(device=core.weight_ih_l0.device).to(core.weight_ih_l0.dtype)
    rows = slice(2 * H, 3 * H)
    with torch.no_grad():
        rnn.core.weight_ih_l0.copy_(core.weight_ih_l0[rows])
        rnn.core.weight_hh_l0.copy_(core.weight_hh_l0[rows])
        rnn.core.bias_ih_l0.copy_(core.bias_ih_l0[rows])
        rnn.core.bias_hh_l0.copy_(core.bias_hh_l0[rows])
        rnn.head.load_state_dict(gru.head.state_dict())
    return rnn


def pin_forget_gate(lstm: nn.LSTM, value: float) -> None:
    """Hold the forget gate of a one-layer LSTM at `value` (0 < value < 1) for good: its
    input and recurrent weights zero, its bias logit(value), and a hook that zeroes their
    gradient, so no optimiser moves them (Adam's update of a parameter whose gradient has
    always been zero is zero)."""
    if not 0.0 < value < 1.0:
        raise ValueError(f"a pinned forget gate must lie strictly between 0 and 1, got {value}")
    H = lstm.hidden_size
    rows = slice(H, 2 * H)  # PyTorch order i, f, g, o
    with torch.no_grad():
        lstm.weight_ih_l0[rows] = 0.0
        lstm.weight_hh_l0[rows] = 0.0
        lstm.bias_ih_l0[rows] = math.log(value / (1.0 - value))
        lstm.bias_hh_l0[rows] = 0.0
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        param = getattr(lstm, name)
        mask = torch.ones_like(param)
        mask[rows] = 0.0
        param.register_hook(lambda grad, mask=mask: grad * mask)
