"""A pointer network and, on the same encoder, a vocabulary decoder over position indices.

Both read the input with an LSTM encoder and decode with an LSTM cell whose input at each step
is the input element chosen at the previous step. They differ only in the output layer:

- pointer (Vinyals, Fortunato & Jaitly 2015, "Pointer Networks"): the additive attention
  scores u_i = vᵀ tanh(W_e e_i + W_d d_t) over the n encoder states ARE the output logits,
  so the output space grows with the input and position i means "the i-th input".
- vocab: the same attention builds a context c_t = Σ α_ti e_i, and a linear layer maps
  [d_t; c_t] to logits over a fixed vocabulary of V position indices (Bahdanau et al. 2015
  style). It can never name a position ≥ V, however long the input.

Masking (optional) sets the logits of positions already chosen to -inf, so greedy decoding
can only emit each position once; the vocab decoder also masks indices ≥ n.
Zeroing the output layer (v, or the vocab projection) makes every logit 0: the output is
uniform and the loss of T steps over T choices is exactly T·log T.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

DECODERS = ("pointer", "vocab")
NEG_INF = float("-inf")


@dataclass
class Decoded:
    log_probs: torch.Tensor  # (B, K, n) pointer or (B, K, V) vocab
    choices: torch.Tensor  # (B, K) greedy argmax at each step
    attention: torch.Tensor  # (B, K, n) the attention over input positions


class AdditiveScore(nn.Module):
    """u_i = vᵀ tanh(W_e e_i + W_d d): one score per encoder position."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.enc_proj = nn.Linear(hidden, hidden, bias=False)
        self.dec_proj = nn.Linear(hidden, hidden)
        self.v = nn.Linear(hidden, 1, bias=False)

    def forward(self, enc_keys: torch.Tensor, dec: torch.Tensor) -> torch.Tensor:
        # enc_keys = enc_proj(e) is computed once per sequence by the caller.
        return self.v(torch.tanh(enc_keys + self.dec_proj(dec).unsqueeze(1))).squeeze(-1)


class PointerNet(nn.Module):
    def __init__(self, input_size: int, hidden: int, decoder: str = "pointer",
                 vocab_size: int = 10) -> None:
        super().__init__()
        if decoder not in DECODERS:
            raise ValueError(f"unknown decoder {decoder!r}; expected one of {DECODERS}")
        self.decoder, self.hidden, self.vocab_size = decoder, hidden, vocab_size
        self.embed = nn.Linear(input_size, hidden)
        self.encoder = nn.LSTM(hidden, hidden, batch_first=True)
        self.cell = nn.LSTMCell(hidden, hidden)
        self.start = nn.Parameter(torch.zeros(hidden))
        self.score = AdditiveScore(hidden)
        if decoder == "vocab":
            self.out = nn.Linear(2 * hidden, vocab_size)

    def output_layer(self) -> list[nn.Parameter]:
        """The parameters that turn decoder state into logits (zeroed for the T·log T check)."""
        return list(self.out.parameters()) if self.decoder == "vocab" else [self.score.v.weight]

    def encode(self, x: torch.Tensor):
        emb = self.embed(x)
        enc, (h, c) = self.encoder(emb)
        # The embedding is added back so each position's own value reaches the scores
        # directly, not only through the running summary of the LSTM.
        return enc + emb, (h[0], c[0])

    def forward(self, x: torch.Tensor, steps: int, feed: torch.Tensor | None = None,
                masking: bool = True) -> Decoded:
        """Decode `steps` positions. With `feed` (B, steps) the next input is the fed
        position (teacher forcing); without it, the greedy choice (free running)."""
        B, n, _ = x.shape
        enc, (h, c) = self.encode(x)
        keys = self.score.enc_proj(enc)
        emb = self.embed(x)
        # A zero row at index n stands for "a position outside the input".
        emb_pad = torch.cat([emb, emb.new_zeros(B, 1, self.hidden)], 1)
        width = n if self.decoder == "pointer" else self.vocab_size
        chosen = torch.zeros(B, width, dtype=torch.bool, device=x.device)
        if self.decoder == "vocab" and width > n:
            beyond = torch.arange(width, device=x.device) >= n
        else:
            beyond = None
        inp = self.start.expand(B, self.hidden)
        rows = torch.arange(B, device=x.device)
        all_logp, all_choice, all_attn = [], [], []
        for t in range(steps):
            h, c = self.cell(inp, (h, c))
            scores = self.score(keys, h)
            attn = scores.softmax(-1)
            if self.decoder == "pointer":
                logits = scores
            else:
                context = (attn.unsqueeze(-1) * enc).sum(1)
                logits = self.out(torch.cat([h, context], -1))
            if masking:
                mask = chosen if beyond is None else chosen | beyond
                # A row with nothing left to choose (an input longer than the vocabulary)
                # is left unmasked rather than producing NaN.
                mask = mask & ~mask.all(-1, keepdim=True)
                logits = logits.masked_fill(mask, NEG_INF)
            logp = logits.log_softmax(-1)
            choice = logp.argmax(-1)
            nxt = feed[:, t] if feed is not None else choice
            chosen = chosen.clone()
            chosen[rows, nxt.clamp_max(width - 1)] |= nxt < width
            inp = emb_pad[rows, nxt.clamp_max(n)]
            all_logp.append(logp)
            all_choice.append(choice)
            all_attn.append(attn)
        return Decoded(torch.stack(all_logp, 1), torch.stack(all_choice, 1),
                       torch.stack(all_attn, 1))
