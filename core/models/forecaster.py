"""Two multi-step forecasters of the same size, built on the same fused recurrent core.

- `OneStepForecaster` predicts x_{t+1} from x_{≤t}; an H-step forecast feeds each prediction
  back in as the next input (iterative / recursive strategy), so its errors are re-injected.
- `DirectForecaster` reads the context once and emits all H future values from the last hidden
  state through one linear head (direct / one-to-many strategy): nothing is fed back.

Both work in normalised units: inputs are (x - mean) / scale and outputs are mapped back, so
errors are reported in the series' own units.
"""
from __future__ import annotations

import torch
from torch import nn

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class _Normalised(nn.Module):
    def __init__(self, dim: int, mean, scale) -> None:
        super().__init__()
        ones = torch.ones(dim)  # a scalar mean/scale applies to every channel
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32) * ones)
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32) * ones)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.scale

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return z * self.scale + self.mean


class OneStepForecaster(_Normalised):
    def __init__(self, dim: int, hidden: int, cell: str = "gru", mean=0.0, scale=1.0) -> None:
        super().__init__(dim, mean, scale)
        self.core = CELLS[cell](dim, hidden, batch_first=True)
        self.head = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: (B, T, dim) true inputs -> (B, T, dim) predictions of the next value."""
        out, _ = self.core(self.encode(x))
        return self.decode(self.head(out))

    def rollout(self, context: torch.Tensor, horizon: int) -> torch.Tensor:
        """(B, C, dim) context -> (B, horizon, dim): each prediction becomes the next input.
        Differentiable, so training on its own rollouts backpropagates through the feedback."""
        out, state = self.core(self.encode(context))
        z = self.head(out[:, -1])
        preds = [z]
        for _ in range(horizon - 1):
            out, state = self.core(z.unsqueeze(1), state)
            z = self.head(out[:, -1])
            preds.append(z)
        return self.decode(torch.stack(preds, 1))


class DirectForecaster(_Normalised):
    def __init__(self, dim: int, hidden: int, horizon: int, cell: str = "gru", mean=0.0,
                 scale=1.0) -> None:
        super().__init__(dim, mean, scale)
        self.dim, self.horizon = dim, horizon
        self.core = CELLS[cell](dim, hidden, batch_first=True)
        self.head = nn.Linear(hidden, horizon * dim)

    def forward(self, context: torch.Tensor) -> torch.Tensor:
        """(B, C, dim) -> (B, horizon, dim), all horizons from the last hidden state at once."""
        out, _ = self.core(self.encode(context))
        z = self.head(out[:, -1]).reshape(-1, self.horizon, self.dim)
        return self.decode(z)

    def rollout(self, context: torch.Tensor, horizon: int) -> torch.Tensor:
        return self.forward(context)[:, :horizon]


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
