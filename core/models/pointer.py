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
        if feed is not None:
            return self._forced(x, steps, feed, masking)
        return self.step_by_step(x, steps, feed, masking)

    def _encoded(self, x: torch.Tensor):
        """What both decoding paths start from: the encoder's states and final state, the
        attention keys, the input embeddings with a zero row at index n ("a position outside
        the input"), and the width of a decoding step's choice."""
        B, n, _ = x.shape
        enc, state = self.encode(x)
        emb = self.embed(x)
        emb_pad = torch.cat([emb, emb.new_zeros(B, 1, self.hidden)], 1)
        width = n if self.decoder == "pointer" else self.vocab_size
        return enc, state, self.score.enc_proj(enc), emb_pad, width

    def step_by_step(self, x: torch.Tensor, steps: int, feed: torch.Tensor | None = None,
                     masking: bool = True) -> Decoded:
        """forward one decoding step at a time (what free running needs; with `feed`, the
        reference the teacher-forced path is checked against)."""
        B, n, _ = x.shape
        enc, (h, c), keys, emb_pad, width = self._encoded(x)
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

    def _forced(self, x: torch.Tensor, steps: int, feed: torch.Tensor,
                masking: bool) -> Decoded:
        """forward with teacher forcing: the same equations as `step_by_step`, equal to float
        rounding (tests/test_pointer_analysis.py). Every step's decoder input is known from
        `feed`, so the decoder cell's weights run as one fused LSTM over all the steps, and
        the scores, context, masks and softmax of all steps are computed at once: training
        takes a few large tensor operations instead of about twenty small ones per step."""
        B, n, _ = x.shape
        enc, (h, c), keys, emb_pad, width = self._encoded(x)
        rows = torch.arange(B, device=x.device).unsqueeze(1)
        fed = feed[:, :steps]
        # Step t reads the position fed at step t-1 (the start vector at step 0).
        inputs = emb_pad[rows, fed[:, :steps - 1].clamp_max(n)]
        inputs = torch.cat([self.start.expand(B, 1, self.hidden), inputs], 1)
        cell = self.cell  # what nn.LSTM calls, with LSTMCell's parameters
        dec, _, _ = torch._VF.lstm(inputs, (h.unsqueeze(0), c.unsqueeze(0)),
                                   [cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh],
                                   True, 1, 0.0, self.training, False, True)  # (B, K, H)
        scores = self.score.v(torch.tanh(keys.unsqueeze(1)
                                         + self.score.dec_proj(dec).unsqueeze(2))).squeeze(-1)
        attn = scores.softmax(-1)  # (B, K, n)
        if self.decoder == "pointer":
            logits = scores
        else:
            context = attn @ enc  # (B, K, H)
            logits = self.out(torch.cat([dec, context], -1))
        if masking:
            # Chosen before step t: every position fed at steps 0..t-1 (those < width).
            valid = fed < width
            picked = torch.zeros(B, steps, width, dtype=torch.bool, device=x.device)
            picked[rows, torch.arange(steps, device=x.device), fed.clamp_max(width - 1)] = valid
            chosen = torch.zeros_like(picked)
            chosen[:, 1:] = picked[:, :-1].cumsum(1) > 0
            mask = chosen
            if self.decoder == "vocab" and width > n:
                mask = mask | (torch.arange(width, device=x.device) >= n)
            mask = mask & ~mask.all(-1, keepdim=True)
            logits = logits.masked_fill(mask, NEG_INF)
        logp = logits.log_softmax(-1)
        return Decoded(logp, logp.argmax(-1), attn)
