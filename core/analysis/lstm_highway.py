"""The LSTM's highway: the full dL/dc_t of a run's own LSTM, measured by autograd on the fused
nn.LSTM, beside dL/dh_t, the forget gate at every step, and the part of dL/dc_t that the
direct cell path alone carries (an identity, given the gates).

An LSTM step (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000) is

    i, f, o = sigma(...),  g = tanh(...),  c_t = f_t * c_(t-1) + i_t * g_t,  h_t = o_t * tanh(c_t)

so the direct path from c_(t-1) to c_t multiplies the backward signal by f_t, elementwise.
When h_(t-1) does not feed the step (the recurrent weights cut) that path is the only one,
and exactly

    dL/dc_t = (prod_(k=t+1..T) f_k) * dL/dc_T;

with f pinned at p it is p^(T-t) dL/dc_T: a per-step 0.9 leaves 0.9^49 ~ 0.006 after 50
steps, 0.99 leaves 0.99^49 ~ 0.61. That product is one path's contribution, fixed by the
gates alone: the same for any other weights, so computing it by autograd confirms an
identity, not a property of the trained model.

With the recurrent weights in place c_t also reaches c_(t+1) through h_t = o_t tanh(c_t)
and the gates of step t+1, and those paths add to the direct one. In a trained LSTM they
can make the full ||dL/dc_t|| *grow* going back from T, where the direct path alone would
shrink by f a step. The replay recomputes the fused nn.LSTM's step from its own weights (the same formula
torch.lstm_cell computes), keeping every c_t and h_t so autograd reports their gradients;
it exposes the forget gates, which the fused kernel does not, and can pin them or cut the
recurrence for the identity. Its full dL/dc_t is checked against autograd on the fused
model itself (fused_cell_gradients).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class Highway:
    cell_norms: list  # mean over the batch of the full ||dL/dc_t||, by distance d = T - t
    hidden_norms: list  # the same for ||dL/dh_t||
    highway_norms: list  # ||(prod f_k) * dL/dc_T||: what the cell path alone carries
    cell_ratio: list  # mean over the batch of ||dL/dc_t|| / ||dL/dc_T||, by distance
    cell_path_ratio: list  # the same ratio for the cell path alone (p^d when pinned at p)
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


def fused_cell_gradients(lstm: nn.LSTM, head: nn.Module, x: torch.Tensor,
                         target: torch.Tensor) -> list:
    """The full dL/dc_t at every step, (B, H) per t, from autograd on the fused nn.LSTM
    itself, for the loss at the last step (summed over the batch): an independent check of
    the replay. The fused kernel is stepped one time step at a time, carrying (h, c), so
    autograd reports the gradient reaching each state where the next step reads it. That
    misses one path, c_t -> h_t inside the kernel, which is added from the kernel's own
    outputs: dL/dc_t = dL/dc_t|next step + dL/dh_t * o_t * (1 - tanh(c_t)^2), with
    o_t = h_t / tanh(c_t)."""
    state = None
    hs, cs = [], []
    for t in range(x.shape[1]):
        _, state = lstm(x[:, t:t + 1], state)
        for s in state:
            s.retain_grad()
        hs.append(state[0])
        cs.append(state[1])
    loss = F.cross_entropy(head(hs[-1][0]), target[:, -1], reduction="sum")
    loss.backward()
    lstm.zero_grad(set_to_none=True)
    head.zero_grad(set_to_none=True)
    full = []
    for h, c in zip(hs, cs):
        tanh_c = torch.tanh(c.detach())
        through_h = h.grad * (h.detach() / tanh_c) * (1 - tanh_c ** 2)
        full.append((through_h + (c.grad if c.grad is not None else 0.0))[0])
    return full


def lstm_highway(lstm: nn.LSTM, head: nn.Module, x: torch.Tensor, target: torch.Tensor, *,
                 pin: float | None = None, cut_recurrent: bool = False) -> Highway:
    """Backpropagate the loss at the last step (summed over the batch) through the replay
    and measure the cell-state and hidden-state gradients at every step: the full ones (all
    paths), and the part the direct cell path alone carries, (prod f_k) * dL/dc_T."""
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
    path = (after * last.unsqueeze(1)).norm(dim=2)  # (B, T)
    last_norm = last.norm(dim=1).clamp_min(1e-300)[:, None]
    cell = torch.stack([c.grad.norm(dim=1) for c in cs], 1)  # (B, T)
    unit_means = forget.mean(0)  # (T, H)
    return Highway(
        cell_norms=cell.mean(0).flip(0).tolist(),
        hidden_norms=[_mean_norm(h.grad) for h in reversed(hs)],
        highway_norms=path.mean(0).flip(0).tolist(),
        cell_ratio=(cell / last_norm).mean(0).flip(0).tolist(),
        cell_path_ratio=(path / last_norm).mean(0).flip(0).tolist(),
        forget_mean=forget.mean(dim=(0, 2)).tolist(),
        forget_low=unit_means.quantile(0.1, dim=1).tolist(),
        forget_high=unit_means.quantile(0.9, dim=1).tolist())


def replay_agrees_with_fused(lstm: nn.LSTM, head: nn.Module, x: torch.Tensor,
                             target: torch.Tensor) -> float:
    """Largest difference between the replay's full dL/dc_t and the fused model's
    (fused_cell_gradients), relative to the largest dL/dc_t: float rounding when the replay
    computes what the trained model computes."""
    hs, cs, _ = replay_lstm(lstm, x)
    F.cross_entropy(head(hs[-1]), target[:, -1], reduction="sum").backward()
    replay = torch.stack([c.grad for c in cs])
    lstm.zero_grad(set_to_none=True)
    head.zero_grad(set_to_none=True)
    fused = torch.stack(fused_cell_gradients(lstm, head, x, target))
    return float((replay - fused).abs().max() / replay.abs().max().clamp_min(1e-300))


def _mean_norm(grad: torch.Tensor | None) -> float:
    """Mean over the batch of a state's gradient norm; a state the loss does not reach
    (h_t with the recurrence cut) has none, which is zero."""
    return float(grad.norm(dim=1).mean()) if grad is not None else 0.0


def pinned_highway_ratio(lstm: nn.LSTM, head: nn.Module, x: torch.Tensor,
                         target: torch.Tensor, pin: float) -> float:
    """||dL/dc_1|| / ||dL/dc_T|| (mean over the batch of the per-sequence ratio) computed by
    autograd on this LSTM with its forget gate pinned at `pin` and its recurrent weights cut.
    The cell path is then the only one and the ratio is pin^(T-1) for any weights: an
    identity (a check of the replay's arithmetic), not a measurement of the trained model."""
    hs, cs, _ = replay_lstm(lstm, x, pin=pin, cut_recurrent=True)
    loss = F.cross_entropy(head(hs[-1]), target[:, -1], reduction="sum")
    loss.backward()
    lstm.zero_grad(set_to_none=True)
    head.zero_grad(set_to_none=True)
    ratio = cs[0].grad.norm(dim=1) / cs[-1].grad.norm(dim=1).clamp_min(1e-300)
    return float(ratio.mean())
