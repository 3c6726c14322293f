"""The plain (deterministic) sequence autoencoder in three decoder forms.

All three share the encoder, a GRU over the input values; they differ in what the decoder GRU
is given, which is the difference between `return_sequences=False` and `True` in Keras terms:

- repeat: only the encoder's final state, copied to every decoder step (the
  `return_sequences=False` + RepeatVector pattern). One fixed-size code for the whole sequence.
- sequence: the encoder's full output sequence (`return_sequences=True`), one state per step.
  There is no bottleneck: each decoder step sees a state made right at its own time step.
- autoregressive: the final state initialises the decoder, which reads the previous value
  (teacher forcing while training) and, at test time, its own previous output.

The recurrent cell is a GRU unless `cell="lstm"` is asked for (the same three forms; on a
CPU PyTorch's fused LSTM kernel runs faster than its GRU for these sizes).
"""
from __future__ import annotations

import torch
from torch import nn

FORMS = ("repeat", "sequence", "autoregressive")
CELLS = {"gru": nn.GRU, "lstm": nn.LSTM}


class SequenceAutoencoder(nn.Module):
    def __init__(self, form: str, hidden: int, input_size: int = 1, cell: str = "gru") -> None:
        super().__init__()
        if form not in FORMS:
            raise ValueError(f"unknown decoder form {form!r}; expected one of {FORMS}")
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; expected one of {tuple(CELLS)}")
        self.form = form
        self.encoder = CELLS[cell](input_size, hidden, batch_first=True)
        # autoregressive input: previous value plus a flag that is 0 at the first step
        decoder_in = hidden if form in ("repeat", "sequence") else input_size + 1
        self.decoder = CELLS[cell](decoder_in, hidden, batch_first=True)
        self.head = nn.Linear(hidden, input_size)

    def forward(self, x: torch.Tensor, teacher_forcing: bool = True) -> torch.Tensor:
        """Reconstruction of x, (B, T, input_size)."""
        enc_out, h_final = self.encoder(x)  # an LSTM's final state is the pair (h, c)
        T = x.shape[1]
        if self.form == "repeat":
            last = h_final[0] if isinstance(h_final, tuple) else h_final
            repeated = last[0].unsqueeze(1).expand(-1, T, -1)  # RepeatVector(T)
            out, _ = self.decoder(repeated)
            return self.head(out)
        if self.form == "sequence":
            out, _ = self.decoder(enc_out)
            return self.head(out)
        if teacher_forcing:
            prev = torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], 1)
            flag = torch.ones_like(prev[..., :1])
            flag[:, 0] = 0.0
            out, _ = self.decoder(torch.cat([prev, flag], -1), h_final)
            return self.head(out)
        return self._free_running(h_final, T, x.shape[-1])

    def _free_running(self, h, steps: int, size: int) -> torch.Tensor:
        first = h[0] if isinstance(h, tuple) else h
        token = torch.zeros(first.shape[1], 1, size + 1, device=first.device)
        outs = []
        for _ in range(steps):
            out, h = self.decoder(token, h)
            y = self.head(out)
            outs.append(y)
            token = torch.cat([y, torch.ones_like(y[..., :1])], -1)
        return torch.cat(outs, 1)
