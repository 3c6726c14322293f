"""The LSTM's highway, measured: dL/dc_t along the cell state beside dL/dh_t, the forget gate
at every step, and the product of forget gates the highway alone would give.

An LSTM step (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000) is

    i, f, o = sigma(...),  g = tanh(...),  c_t = f_t * c_(t-1) + i_t * g_t,  h_t = o_t * tanh(c_t)

so the direct path from c_(t-1) to c_t multiplies the backward signal by f_t, elementwise.
When h_(t-1) does not feed the step (the recurrent weights cut) that path is the only one,
and exactly

    dL/dc_t = (prod_(k=t+1..T) f_k) * dL/dc_T;

with f pinned at p it is p^(T-t) dL/dc_T: a per-step 0.9 leaves 0.9^49 ~ 0.005 after 50
steps, 0.99 leaves 0.99^49 ~ 0.61. With the recurrent weights in place, paths through h add
to it; the figure shows how much.

The replay recomputes the fused nn.LSTM's step from its own weights (the same formula
torch.lstm_cell computes), keeping every c_t and h_t so autograd reports their gradients.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class Highway:
    cell_norms: list  # mean over the batch of ||dL/dc_t||, by distance d = T - t
    hidden_norms: list  # the same for ||dL/dh_t||
    highway_norms: list  # ||(prod f_k) * dL/dc_T||: what the cell path alone carries
    forget_mean: list  # mean forget gate f_t over batch and units, by position t
    forget_low: list  # 10th percentile over units (batch mean), by position t
    forget_high: list  # 90th percentile over units, by position t


def replay_lstm(lstm: nn.LSTM, x: torch.Tensor, *, pin: float | None = None,
                cut_recurrent: bool = False):
    """Step a one-layer batch-first nn.LSTM by hand. Returns (h states, c states, forget
    gates), each a list over t of (B, H), with h and c retaining their gradients. `pin`
    holds the forget gate at that value; `cut_recurrent` drops h_(t-1) from the step."""
    H = lstm.hidden_size
    drive = x @ lstm.weight_ih_l0.T + lstm.bias_ih_l0 + lstm.bias_hh_l0
    h = x.new_zeros(x.shape[0], H)
    c = x.new_zeros(x.shape[0], H)
    hs, cs, fs = [], [], []
    for t in range(x.shape[1]):
        pre = drive[:, t] if cut_recurrent else drive[:, t] + h @ lstm.weight_hh_l0.T
        i, f, g, o = pre.split(H, dim=1)
        i, g, o = torch.sigmoid(i), torch.tanh(g), torch.sigmoid(o)
        f = torch.full_like(f, pin) if pin is not None else torch.sigmoid(f)
        c = f * c + i * g
        h = o * torch.tanh(c)
        c.retain_grad()
        h.retain_grad()
        hs.append(h)
        cs.append(c)
        fs.append(f.detach())
    return hs, cs, fs


def lstm_highway(lstm: nn.LSTM, head: nn.Module, x: torch.Tensor, target: torch.Tensor, *,
                 pin: float | None = None, cut_recurrent: bool = False) -> Highway:
    """Backpropagate the loss at the last step (summed over the batch) through the replay
    and measure the cell-state and hidden-state gradients at every step."""
    hs, cs, fs = replay_lstm(lstm, x, pin=pin, cut_recurrent=cut_recurrent)
    loss = F.cross_entropy(head(hs[-1]), target[:, -1], reduction="sum")
    loss.backward()
    lstm.zero_grad(set_to_none=True)
    head.zero_grad(set_to_none=True)
    forget = torch.stack(fs, 1)  # (B, T, H)
    last = cs[-1].grad
    # product of the forget gates after step t, for t = T..1 (empty product at T)
    after = torch.cat([forget[:, 1:].flip(1).cumprod(1).flip(1),
                       forget.new_ones(forget.shape[0], 1, forget.shape[2])], 1)
    highway = (after * last.unsqueeze(1)).norm(dim=2).mean(0)
    unit_means = forget.mean(0)  # (T, H)
    return Highway(
        cell_norms=[_mean_norm(c.grad) for c in reversed(cs)],
        hidden_norms=[_mean_norm(h.grad) for h in reversed(hs)],
        highway_norms=highway.flip(0).tolist(),
        forget_mean=forget.mean(dim=(0, 2)).tolist(),
        forget_low=unit_means.quantile(0.1, dim=1).tolist(),
        forget_high=unit_means.quantile(0.9, dim=1).tolist())


def _mean_norm(grad: torch.Tensor | None) -> float:
    """Mean over the batch of a state's gradient norm; a state the loss does not reach
    (h_t with the recurrence cut) has none, which is zero."""
    return float(grad.norm(dim=1).mean()) if grad is not None else 0.0


def pinned_highway_ratio(lstm: nn.LSTM, head: nn.Module, x: torch.Tensor,
                         target: torch.Tensor, pin: float) -> float:
    """||dL/dc_1|| / ||dL/dc_T|| (mean over the batch of the per-sequence ratio) measured by
    autograd on this LSTM with its forget gate pinned at `pin` and its recurrent weights cut
    — the case where the closed form pin^(T-1) is exact."""
    hs, cs, _ = replay_lstm(lstm, x, pin=pin, cut_recurrent=True)
    loss = F.cross_entropy(head(hs[-1]), target[:, -1], reduction="sum")
    loss.backward()
    lstm.zero_grad(set_to_none=True)
    head.zero_grad(set_to_none=True)
    ratio = cs[0].grad.norm(dim=1) / cs[-1].grad.norm(dim=1).clamp_min(1e-300)
    return float(ratio.mean())
