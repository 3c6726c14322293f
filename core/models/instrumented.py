"""Step-by-step replay of a trained recurrent core, sharing its weights, to look inside.

Each hidden state is kept as its own tensor so autograd can report dL/dh_t for every t, and
gate activations are recorded as they are computed. The equations are PyTorch's own
(nn.RNN, nn.LSTM, nn.GRU documentation), so the replay reproduces the fused kernel's output.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from core.models.recurrent import RecurrentClassifier


@dataclass
class Unrolled:
    hidden: list  # h_t for t = 1..T, each (B, H) and retaining its gradient
    logits: torch.Tensor  # (B, T, classes)
    gates: dict = field(default_factory=dict)  # name -> (B, T, H), detached


def unroll(model: RecurrentClassifier, x: torch.Tensor) -> Unrolled:
    core, H = model.core, model.hidden
    B, T, _ = x.shape
    h = x.new_zeros(B, H)
    c = x.new_zeros(B, H)
    hidden, keep = [], []
    if model.cell == "linear":
        drive = core.input_proj(x)
    else:
        w_ih, w_hh = core.weight_ih_l0, core.weight_hh_l0
        b_ih, b_hh = core.bias_ih_l0, core.bias_hh_l0
        drive = x @ w_ih.T + b_ih
    for t in range(T):
        if model.cell == "linear":
            h = core.a * h + drive[:, t]
        elif model.cell == "rnn":
            h = torch.tanh(drive[:, t] + h @ w_hh.T + b_hh)
        elif model.cell == "lstm":
            gi, gf, gg, go = (drive[:, t] + h @ w_hh.T + b_hh).chunk(4, dim=1)
            f = torch.sigmoid(gf)
            c = f * c + torch.sigmoid(gi) * torch.tanh(gg)
            h = torch.sigmoid(go) * torch.tanh(c)
            keep.append(f.detach())
        else:  # gru
            xr, xz, xn = drive[:, t].chunk(3, dim=1)
            hr, hz, hn = (h @ w_hh.T + b_hh).chunk(3, dim=1)
            r = torch.sigmoid(xr + hr)
            z = torch.sigmoid(xz + hz)
            n = torch.tanh(xn + r * hn)
            h = (1 - z) * n + z * h
            keep.append(z.detach())
        h.retain_grad()
        hidden.append(h)
    logits = model.head(torch.stack(hidden, 1))
    gates = {}
    if keep:
        gates["forget" if model.cell == "lstm" else "update_keep"] = torch.stack(keep, 1)
    return Unrolled(hidden=hidden, logits=logits, gates=gates)
