"""A unidirectional or bidirectional recurrent tagger of the same total hidden size.

uni: one forward pass with H units. bi: a forward pass and a backward pass with H/2 units each
(Schuster & Paliwal 1997), so both models hand the output layer H numbers per position. The
output layer is split, logits_t = W_f h_f[t] + W_b h_b[t] + b, which is a linear layer on the
concatenation [h_f[t]; h_b[t]] written so that each half's contribution can be measured.

Future masking: at a masked position t, the backward pass is computed as if the future inputs
x_{t+1..T} were hidden (replaced by the null vector): its state is the one reached after
T-1-t null steps, then one step on x_t. That is exactly what the backward pass of the same
sequence with its future zeroed gives at t, computed for all positions at once.
"""
from __future__ import annotations

import torch
from torch import nn

FUSED = {"gru": nn.GRU, "lstm": nn.LSTM}
CELLS = tuple(FUSED)
DIRECTIONS = ("uni", "bi")


def cell_step(rnn: nn.Module, x: torch.Tensor, state):
    """One step of a single-layer nn.GRU / nn.LSTM with its own weights (PyTorch's equations)."""
    weights = (rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0)
    if isinstance(rnn, nn.LSTM):
        h, c = torch.lstm_cell(x, state, *weights)
        return h, (h, c)
    h = torch.gru_cell(x, state, *weights)
    return h, h


def zero_state(rnn: nn.Module, batch: int, device, dtype):
    h = torch.zeros(batch, rnn.hidden_size, device=device, dtype=dtype)
    return (h, h.clone()) if isinstance(rnn, nn.LSTM) else h


def select_state(state, index: torch.Tensor):
    return tuple(s[index] for s in state) if isinstance(state, tuple) else state[index]


class DirectionalTagger(nn.Module):
    def __init__(self, cell: str, input_size: int, hidden: int, classes: int,
                 direction: str) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; expected one of {CELLS}")
        if direction not in DIRECTIONS:
            raise ValueError(f"unknown direction {direction!r}; expected one of {DIRECTIONS}")
        if direction == "bi" and hidden % 2:
            raise ValueError(f"a bidirectional model splits its {hidden} units in two halves; "
                             "use an even number")
        self.cell, self.direction, self.hidden = cell, direction, hidden
        per_pass = hidden if direction == "uni" else hidden // 2
        self.forward_rnn = FUSED[cell](input_size, per_pass, batch_first=True)
        self.head_f = nn.Linear(per_pass, classes)
        if direction == "bi":
            self.backward_rnn = FUSED[cell](input_size, per_pass, batch_first=True)
            self.head_b = nn.Linear(per_pass, classes, bias=False)

    @property
    def bidirectional(self) -> bool:
        return self.direction == "bi"

    def states(self, x: torch.Tensor, future_mask: torch.Tensor | None = None):
        """Forward states h_f (B, T, H_f) and backward states h_b (B, T, H_b) or None.

        `future_mask` (B, T) bool marks positions whose backward state must not see the future.
        """
        h_f, _ = self.forward_rnn(x)
        if not self.bidirectional:
            return h_f, None
        h_b, _ = self.backward_rnn(x.flip(1))
        h_b = h_b.flip(1)
        if future_mask is not None and bool(future_mask.any()):
            h_b = torch.where(future_mask.unsqueeze(-1), self.present_only_backward(x), h_b)
        return h_f, h_b

    def present_only_backward(self, x: torch.Tensor) -> torch.Tensor:
        """h_b[t] with x_{t+1..T} hidden: T-1-t null steps from the zero state, then x_t."""
        B, T, I = x.shape
        rnn = self.backward_rnn
        state = zero_state(rnn, 1, x.device, x.dtype)
        null = x.new_zeros(1, I)
        after_null = [state]  # after_null[k] = state after k null steps
        for _ in range(T - 1):
            _, state = cell_step(rnn, null, state)
            after_null.append(state)
        # Position t has T-1-t future steps; gather those states, one per position.
        if isinstance(state, tuple):
            start = tuple(torch.cat([s[i] for s in after_null[::-1]], 0) for i in range(2))
            start = tuple(s.repeat(B, 1) for s in start)
        else:
            start = torch.cat(after_null[::-1], 0).repeat(B, 1)
        h, _ = cell_step(rnn, x.reshape(B * T, I), start)
        return h.reshape(B, T, -1)

    def contributions(self, h_f: torch.Tensor, h_b: torch.Tensor | None):
        """The output layer's input from each half: W_f h_f (with the bias) and W_b h_b."""
        from_f = self.head_f(h_f)
        from_b = self.head_b(h_b) if h_b is not None else torch.zeros_like(from_f)
        return from_f, from_b

    def forward(self, x: torch.Tensor, future_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Per-position logits (B, T, classes)."""
        from_f, from_b = self.contributions(*self.states(x, future_mask))
        return from_f + from_b

    def sequence_logits(self, x: torch.Tensor,
                        future_mask: torch.Tensor | None = None) -> torch.Tensor:
        """One label per sequence from the passes' final states: the forward pass at the last
        position and the backward pass at the first (both have read the whole sequence)."""
        from_f, from_b = self.sequence_contributions(x, future_mask)
        return from_f + from_b

    def sequence_contributions(self, x: torch.Tensor, future_mask: torch.Tensor | None = None):
        h_f, h_b = self.states(x, future_mask)
        return self.contributions(h_f[:, -1], h_b[:, 0] if h_b is not None else None)

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())
