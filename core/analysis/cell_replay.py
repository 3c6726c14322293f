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


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * v))  # = 1 / (1 + e^-v), without overflow


def _layer_params(core: nn.Module, k: int):
    """weight_ih, bias_ih, weight_hh, bias_hh of layer k as float64 arrays on the CPU."""
    names = ("weight_ih", "bias_ih", "weight_hh", "bias_hh")
    params = [getattr(core, f"{name}_l{k}", None) if core.bias or "weight" in name else None
              for name in names]
    rows = getattr(core, f"weight_ih_l{k}").shape[0]
    return [np.zeros(rows) if p is None else p.detach().cpu().double().numpy() for p in params]


def _step_layer(cell: str, x: np.ndarray, params, h: np.ndarray, c: np.ndarray | None):
    """Run one layer over a whole sequence x (T, D) from state h (H,), c (H,) or None.
    In float64 numpy: the steps are many small products, where numpy's per-call cost is
    lower than torch's, and the extra precision keeps the replay within 1e-5 of the kernel."""
    w_ih, b_ih, w_hh, b_hh = params
    T, H = x.shape[0], w_hh.shape[1]
    drive = x @ w_ih.T + b_ih  # the input part of every step at once
    hs = np.empty((T, H))
    cs = np.empty((T, H)) if cell == "lstm" else None
    acts = np.empty((T, w_hh.shape[0])) if cell != "rnn" else None
    for t in range(T):
        rec = w_hh @ h + b_hh
        if cell == "rnn":
            h = np.tanh(drive[t] + rec)
        elif cell == "lstm":
            act = _sigmoid(drive[t] + rec)  # i, f, o read from here; g replaced by its tanh
            act[2 * H:3 * H] = np.tanh(drive[t, 2 * H:3 * H] + rec[2 * H:3 * H])
            c = act[H:2 * H] * c + act[:H] * act[2 * H:3 * H]
            h = act[3 * H:] * np.tanh(c)
            cs[t], acts[t] = c, act
        else:
            rz = _sigmoid(drive[t, :2 * H] + rec[:2 * H])
            n = np.tanh(drive[t, 2 * H:] + rz[:H] * rec[2 * H:])
            h = (1.0 - rz[H:]) * n + rz[H:] * h
            acts[t, :2 * H] = rz
        hs[t] = h
    if cell == "lstm":
        gates = {"input": acts[:, :H], "forget": acts[:, H:2 * H], "output": acts[:, 3 * H:]}
    elif cell == "gru":
        gates = {"reset": acts[:, :H], "update": acts[:, H:2 * H]}
    else:
        gates = {}
    return LayerTrace(h=hs, c=cs, gates=gates), hs


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
        x = model.embed(ids.to(core.weight_ih_l0.device)).cpu().double().numpy()
        if state is None:
            h0, c0 = np.zeros((L, H)), np.zeros((L, H))
        elif cell == "lstm":
            h0, c0 = (s.detach().reshape(L, H).cpu().double().numpy() for s in state)
        else:
            h0, c0 = state.detach().reshape(L, H).cpu().double().numpy(), np.zeros((L, H))
        head_w = model.head.weight.detach().cpu().double().numpy()
        head_b = (model.head.bias.detach().cpu().double().numpy()
                  if model.head.bias is not None else 0.0)
    layers = []
    for k in range(L):
        trace, x = _step_layer(cell, x, _layer_params(core, k), h0[k],
                               c0[k] if cell == "lstm" else None)
        layers.append(trace)
    logits = x @ head_w.T + head_b
    return Replay(cell=cell, layers=layers, logits=logits)


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
