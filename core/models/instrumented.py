"""Step-by-step replay of a trained recurrent core, sharing its weights, to look inside.

Each hidden state is kept as its own tensor so autograd can report dL/dh_t for every t. The
steps use PyTorch's single-step cell kernels (torch.rnn_tanh_cell, lstm_cell, gru_cell), which
compute exactly what nn.RNN / nn.LSTM / nn.GRU compute per step; the gate the lab shows (the
LSTM forget gate f_t, the GRU update gate z_t) is recomputed from the same weights, outside
the graph, as it is only looked at.
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


def _second_gate_block(core, x: torch.Tensor, h_prev: torch.Tensor, H: int) -> torch.Tensor:
    """sigmoid of the second gate block for every step at once, (B, T, H): the LSTM forget
    gate (blocks i, f, g, o) or the GRU update gate (r, z, n) — the fraction of the old state
    kept. Computed after the replay from the states it produced, in one batched product."""
    with torch.no_grad():
        rows = slice(H, 2 * H)
        pre = (x @ core.weight_ih_l0[rows].T + core.bias_ih_l0[rows]
               + h_prev @ core.weight_hh_l0[rows].T + core.bias_hh_l0[rows])
        return torch.sigmoid(pre)


def unroll(model: RecurrentClassifier, x: torch.Tensor, tbptt_k: int = 0) -> Unrolled:
    """Replay every step; with 0 < tbptt_k < T the carried state is detached where
    RecurrentClassifier.forward(x, tbptt_k) detaches it (every k steps counted back from the
    end), so gradients flow through the same truncated graph training uses."""
    core, H = model.core, model.hidden
    B, T, _ = x.shape
    cuts = set(range(T - tbptt_k, 0, -tbptt_k)) if 0 < tbptt_k < T else set()
    h = x.new_zeros(B, H)
    c = x.new_zeros(B, H)
    hidden = []
    if model.cell == "linear":
        drive = core.input_proj(x)
    else:
        weights = (core.weight_ih_l0, core.weight_hh_l0, core.bias_ih_l0, core.bias_hh_l0)
    for t in range(T):
        if t in cuts:
            h, c = h.detach(), c.detach()
        if model.cell == "linear":
            h = core.a * h + drive[:, t]
        elif model.cell == "rnn":
            h = torch.rnn_tanh_cell(x[:, t], h, *weights)
        elif model.cell == "lstm":
            h, c = torch.lstm_cell(x[:, t], (h, c), *weights)
        else:  # gru
            h = torch.gru_cell(x[:, t], h, *weights)
        h.retain_grad()
        hidden.append(h)
    states = torch.stack(hidden, 1)
    logits = model.head(states)
    gates = {}
    if model.cell in ("lstm", "gru"):
        h_prev = torch.cat([states.new_zeros(B, 1, H), states[:, :-1]], 1)
        gates["forget" if model.cell == "lstm" else "update_keep"] = _second_gate_block(
            core, x, h_prev, H)
    return Unrolled(hidden=hidden, logits=logits, gates=gates)
