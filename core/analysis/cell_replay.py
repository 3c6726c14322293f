"""Replay a trained char-level model's fused recurrent core one step at a time, from its own
weights, keeping what the fused kernel hides: every layer's h_t, the LSTM's c_t, and the gate
activations, at every position of a probe text.

PyTorch's documented step for each layer (x_t the layer's input, h the previous state, W_i* /
W_h* the input / hidden blocks of weight_ih_l{k} / weight_hh_l{k} in the order given):

    tanh RNN:  h_t = tanh(W_ih x_t + b_ih + W_hh h + b_hh)
    LSTM (i, f, g, o):  i, f, o = sigma(W_i* x_t + b_i* + W_h* h + b_h*), g = tanh(...)
               c_t = f * c + i * g,   h_t = o * tanh(c_t)
    GRU (r, z, n):  r, z = sigma(W_i* x_t + b_i* + W_h* h + b_h*)
               n = tanh(W_in x_t + b_in + r * (W_hn h + b_hn)),   h_t = (1 - z) * n + z * h

Layer k's input is layer k-1's h_t; the head reads the last layer's h_t. The replay is the
model in eval mode (no inter-layer dropout), which is the model the page inspects. It runs
on the CPU whatever the model's device: one sequence, stepped by hand, is small work.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

GATE_NAMES = {"rnn": (), "lstm": ("input", "forget", "output"), "gru": ("reset", "update")}


class Cell(NamedTuple):
    """One unit of one layer's state: kind "c" (LSTM cell state) or "h" (hidden state)."""
    layer: int
    unit: int
    kind: str

    def name(self) -> str:
        return f"layer {self.layer} {self.kind}[{self.unit}]"


@dataclass
class LayerTrace:
    h: np.ndarray  # (T, H): the hidden state after reading each character
    c: np.ndarray | None = None  # (T, H): the LSTM cell state; None for tanh RNN and GRU
    gates: dict = field(default_factory=dict)  # gate name -> (T, H) activations in [0, 1]


@dataclass
class Replay:
    cell: str
    layers: list  # one LayerTrace per layer, first layer first
    logits: np.ndarray  # (T, V): the head's scores after reading each character


def _check_core(core: nn.Module, cell: str) -> None:
    kinds = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
    if cell not in kinds or not isinstance(core, kinds[cell]):
        raise ValueError(f"cell {cell!r} does not match the recurrent core "
                         f"{type(core).__name__}: expected one of rnn, lstm, gru")
    if cell == "rnn" and core.nonlinearity != "tanh":
        raise ValueError("only the tanh RNN is replayed (this core uses relu)")
    if core.bidirectional or getattr(core, "proj_size", 0) or not core.batch_first:
        raise ValueError("the replay expects a one-directional, batch-first core "
                         "without projections")


def _layer_params(core: nn.Module, k: int):
    zeros = torch.zeros(core.weight_ih_l0.shape[0], device="cpu")
    bias_ih = getattr(core, f"bias_ih_l{k}") if core.bias else zeros
    bias_hh = getattr(core, f"bias_hh_l{k}") if core.bias else zeros
    return getattr(core, f"weight_ih_l{k}"), bias_ih, getattr(core, f"weight_hh_l{k}"), bias_hh


def _step_layer(cell: str, x: torch.Tensor, params, h: torch.Tensor, c: torch.Tensor | None):
    """Run one layer over a whole sequence x (T, D) from state h (H,), c (H,) or None."""
    w_ih, b_ih, w_hh, b_hh = params
    H = w_hh.shape[1]
    drive = x @ w_ih.T + b_ih  # the input part of every step at once
    hs, cs, gates = [], [], {name: [] for name in GATE_NAMES[cell]}
    for t in range(x.shape[0]):
        rec = h @ w_hh.T + b_hh
        if cell == "rnn":
            h = torch.tanh(drive[t] + rec)
        elif cell == "lstm":
            i, f, g, o = (drive[t] + rec).split(H)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            cs.append(c)
            for name, value in zip(GATE_NAMES["lstm"], (i, f, o)):
                gates[name].append(value)
        else:
            x_r, x_z, x_n = drive[t].split(H)
            h_r, h_z, h_n = rec.split(H)
            r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
            n = torch.tanh(x_n + r * h_n)
            h = (1 - z) * n + z * h
            gates["reset"].append(r)
            gates["update"].append(z)
        hs.append(h)
    trace = LayerTrace(h=torch.stack(hs).numpy(),
                       c=torch.stack(cs).numpy() if cs else None,
                       gates={k: torch.stack(v).numpy() for k, v in gates.items()})
    return trace, torch.stack(hs)


def replay(model: nn.Module, ids, state=None) -> Replay:
    """Replay `model` (with .cell, .embed, .rnn, .head) over one sequence of ids, from the
    zero state or from `state` in PyTorch's shape: h0 (L, 1, H), or (h0, c0) for the LSTM."""
    core, cell = model.rnn, model.cell
    _check_core(core, cell)
    ids = torch.as_tensor(list(ids), dtype=torch.long, device="cpu")
    if ids.ndim != 1 or len(ids) == 0:
        raise ValueError("the probe text is empty: give at least one character to replay")
    L, H = core.num_layers, core.hidden_size
    with torch.no_grad():
        device = core.weight_ih_l0.device
        x = model.embed(ids.to(device)).float().cpu()
        if state is None:
            h0, c0 = torch.zeros(L, H, device="cpu"), torch.zeros(L, H, device="cpu")
        elif cell == "lstm":
            h0, c0 = state[0].reshape(L, H).cpu(), state[1].reshape(L, H).cpu()
        else:
            h0, c0 = state.reshape(L, H).cpu(), torch.zeros(L, H, device="cpu")
        layers = []
        for k in range(L):
            params = [p.detach().float().cpu() for p in _layer_params(core, k)]
            trace, x = _step_layer(cell, x, params, h0[k], c0[k] if cell == "lstm" else None)
            layers.append(trace)
        head = model.head
        logits = x @ head.weight.detach().float().cpu().T
        if head.bias is not None:
            logits = logits + head.bias.detach().float().cpu()
    return Replay(cell=cell, layers=layers, logits=logits.numpy())


def cell_table(result: Replay, kinds=("c", "h")) -> tuple[np.ndarray, list]:
    """Every cell's activation as one column: returns (activations (T, N), cells), the cells
    a list of Cell(layer, unit, kind) naming each column. "c" is skipped where there is none
    (tanh RNN, GRU), so asking for both always gives every state the model has."""
    columns, cells = [], []
    for layer, trace in enumerate(result.layers):
        for kind in kinds:
            values = trace.c if kind == "c" else trace.h if kind == "h" else None
            if values is None:
                continue
            columns.append(values)
            cells += [Cell(layer, unit, kind) for unit in range(values.shape[1])]
    if not columns:
        raise ValueError(f"no states of kinds {kinds!r} in this {result.cell} model")
    return np.concatenate(columns, axis=1), cells
