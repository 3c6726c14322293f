"""A recurrent network with a differentiable stack (Joulin & Mikolov 2015, "Inferring
Algorithmic Patterns with Stack-Augmented Recurrent Nets"), and the plain baselines.

At each step the controller reads the input and the top cells of the stack,

    h_t = tanh(W x_t + R h_{t-1} + P read(s_{t-1})),

and chooses soft actions a_t = softmax(A h_t) over (push, pop, no-op) and a value
v_t = sigmoid(V h_t) to push. The new stack is the expectation over the three actions:

    s_t[0] = a_push v_t       + a_pop s_{t-1}[1]   + a_noop s_{t-1}[0]
    s_t[i] = a_push s_{t-1}[i-1] + a_pop s_{t-1}[i+1] + a_noop s_{t-1}[i]

so everything stays differentiable. Each cell also carries an occupancy channel, pushed as
1 and updated by the same rule, so sum_i occupancy_t[i] is the stack's expected height: it
rises by a_push and falls by a_pop (when the stack is not empty). The read-out sees h_t and
the stack after this step's action.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

MODELS = ("stack", "lstm", "rnn")


def stack_update(stack: torch.Tensor, actions: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """One soft stack step. stack (B, D, C): D cells from the top, C channels; actions
    (B, 3) = (push, pop, no-op) probabilities; value (B, C) the cell a push puts on top.

    The three candidate stacks are windows of one padded tensor [value; stack; 0]: a push
    shifts everything down one cell, a pop up one, a no-op keeps it."""
    B, D, C = stack.shape
    padded = torch.cat([value.unsqueeze(1), stack, stack.new_zeros(B, 1, C)], dim=1)
    p_push, p_pop, p_noop = actions.reshape(B, 3, 1, 1).unbind(1)
    return torch.addcmul(torch.addcmul(p_push * padded[:, :D], p_pop, padded[:, 2:]),
                         p_noop, padded[:, 1:D + 1])


@dataclass
class StackTrace:
    actions: torch.Tensor  # (B, T, 3) push / pop / no-op probabilities
    occupancy: torch.Tensor  # (B, T, D) occupancy channel of each cell after each step
    values: torch.Tensor  # (B, T, D, width) the learned values in each cell


class StackRNN(nn.Module):
    def __init__(self, vocab: int, hidden: int, classes: int, *, width: int = 2,
                 capacity: int = 48, read_depth: int = 2, noop_bias: float = -3.0) -> None:
        super().__init__()
        self.hidden, self.width = hidden, width
        self.capacity, self.read_depth = capacity, read_depth
        cell = width + 1  # learned values + occupancy
        self.input = nn.Linear(vocab, hidden)
        self.recur = nn.Linear(hidden, hidden, bias=False)
        self.read = nn.Linear(read_depth * cell, hidden, bias=False)
        self.action = nn.Linear(hidden, 3)
        with torch.no_grad():
            # Start with no memory but the stack: R = 0, so the first thing gradient descent
            # finds is to push and pop; R grows later for what the stack cannot hold (that
            # the string has already broken). Started at PyTorch's default, R often learns
            # to remember short strings itself, a local optimum that fails on deeper nesting.
            self.recur.weight.zero_()
            # Start with no-op unlikely, for the same reason: an idle stack is no stack.
            self.action.bias[2] += noop_bias
        self.push_value = nn.Linear(hidden, width)
        self.head = nn.Linear(hidden + read_depth * cell, classes)

    def _top(self, stack: torch.Tensor) -> torch.Tensor:
        return stack[:, :self.read_depth].reshape(stack.shape[0], -1)

    def forward(self, x: torch.Tensor, trace: bool = False):
        """Logits (B, T, classes); with trace=True also the StackTrace.

        Written for few operations per character: at these sizes a training step costs
        about as much per small tensor operation (and its autograd node) as for its
        arithmetic. So the recurrent and read weights act on z = [h, top of the stack] in
        one matrix product, the action and push-value weights on h in another, and z is
        also the read-out's input. The same equations as above, to rounding."""
        B = x.shape[0]
        cell = self.width + 1
        recur = torch.cat([self.recur.weight, self.read.weight], dim=1).t()
        act_push = torch.cat([self.action.weight, self.push_value.weight]).t()
        act_push_bias = torch.cat([self.action.bias, self.push_value.bias])
        z = x.new_zeros(B, self.hidden + self.read_depth * cell)  # [h_0, top(s_0)]
        stack = x.new_zeros(B, self.capacity, cell)
        ones = x.new_ones(B, 1)
        outs, acts, stacks = [], [], []
        for drive in self.input(x).unbind(1):
            h = torch.tanh(torch.addmm(drive, z, recur))
            both = torch.addmm(act_push_bias, h, act_push)
            actions = torch.softmax(both[:, :3], dim=-1)
            value = torch.cat([torch.sigmoid(both[:, 3:]), ones], dim=-1)
            stack = stack_update(stack, actions, value)
            z = torch.cat([h, self._top(stack)], dim=-1)
            outs.append(z)
            if trace:
                acts.append(actions)
                stacks.append(stack)
        logits = self.head(torch.stack(outs, 1))
        if not trace:
            return logits
        full = torch.stack(stacks, 1)
        return logits, StackTrace(actions=torch.stack(acts, 1), occupancy=full[..., -1],
                                  values=full[..., :-1])


class PlainRecurrent(nn.Module):
    """The baselines: PyTorch's fused LSTM or tanh RNN with a linear read-out at every step."""

    def __init__(self, cell: str, vocab: int, hidden: int, classes: int) -> None:
        super().__init__()
        self.cell = cell
        self.core = {"lstm": nn.LSTM, "rnn": nn.RNN}[cell](vocab, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.core(x)
        return self.head(out)


def build_model(kind: str, vocab: int, hidden: int, classes: int, *, width: int = 2,
                capacity: int = 48, noop_bias: float = -3.0) -> nn.Module:
    if kind == "stack":
        return StackRNN(vocab, hidden, classes, width=width, capacity=capacity,
                        noop_bias=noop_bias)
    if kind in ("lstm", "rnn"):
        return PlainRecurrent(kind, vocab, hidden, classes)
    raise ValueError(f"unknown model {kind!r}; expected one of {', '.join(MODELS)}")
