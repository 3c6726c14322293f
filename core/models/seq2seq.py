"""An encoder–decoder RNN with an optional attention layer (Sutskever et al. 2014;
Bahdanau et al. 2015; Luong et al. 2015).

The encoder is a bidirectional GRU or LSTM whose two directions each have hidden/2 units, so
an encoder state h_i has `hidden` units and the decoder starts from [forward final; backward
final]. With `attention="none"` that final state is all the decoder ever sees: the fixed
context vector of the bottleneck. Otherwise each decoder state s_t scores every h_i,

    additive (Bahdanau):  e_ti = v · tanh(W_q s_t + W_k h_i)
    dot (Luong):          e_ti = s_t · h_i
    general (Luong):      e_ti = s_t · (W h_i)

α_t = softmax_i(e_t), c_t = Σ_i α_ti h_i and the output is read from tanh(W_c [s_t; c_t]).
The attention sits after the decoder RNN (Luong's placement, no input feeding), so under
teacher forcing the decoder runs as one fused kernel call and only the scores are extra.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

ATTENTIONS = ("none", "additive", "dot", "general")
CELLS = ("gru", "lstm")
FUSED = {"gru": nn.GRU, "lstm": nn.LSTM}


def attention_scores(kind: str, query: torch.Tensor, keys: torch.Tensor,
                     layer: "Attention | None" = None) -> torch.Tensor:
    """Scores e (B, Ty, Tx) of queries (B, Ty, H) against keys (B, Tx, H)."""
    if kind == "dot":
        return query @ keys.transpose(1, 2)
    if kind == "general":
        return query @ layer.key(keys).transpose(1, 2)
    if kind == "additive":
        q = layer.query(query).unsqueeze(2)  # (B, Ty, 1, A)
        k = layer.key(keys).unsqueeze(1)  # (B, 1, Tx, A)
        return layer.v(torch.tanh(q + k)).squeeze(-1)
    raise ValueError(f"unknown attention {kind!r}; expected one of {ATTENTIONS}")


class Attention(nn.Module):
    def __init__(self, kind: str, hidden: int) -> None:
        super().__init__()
        self.kind = kind
        if kind == "general":
            self.key = nn.Linear(hidden, hidden, bias=False)
        elif kind == "additive":
            self.query = nn.Linear(hidden, hidden, bias=False)
            self.key = nn.Linear(hidden, hidden, bias=True)
            self.v = nn.Linear(hidden, 1, bias=False)
        elif kind != "dot":
            raise ValueError(f"unknown attention {kind!r}; expected one of {ATTENTIONS}")

    def forward(self, query: torch.Tensor, keys: torch.Tensor):
        """(context (B, Ty, H), weights α (B, Ty, Tx))."""
        weights = torch.softmax(attention_scores(self.kind, query, keys, self), dim=-1)
        return weights @ keys, weights


@dataclass
class Memory:
    """What the encoder hands the decoder."""
    states: torch.Tensor  # (B, Tx, H) encoder states h_i
    init: object  # decoder initial state: (1, B, H) for GRU, a pair for LSTM


class Seq2Seq(nn.Module):
    def __init__(self, vocab_size: int, hidden: int = 64, cell: str = "gru",
                 attention: str = "additive", embed: int = 32) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; expected one of {CELLS}")
        if attention not in ATTENTIONS:
            raise ValueError(f"unknown attention {attention!r}; expected one of {ATTENTIONS}")
        if hidden % 2:
            raise ValueError(f"hidden must be even (two encoder directions), got {hidden}")
        self.cell, self.attention_kind, self.hidden = cell, attention, hidden
        self.src_embed = nn.Embedding(vocab_size, embed)
        self.tgt_embed = nn.Embedding(vocab_size, embed)
        self.encoder = FUSED[cell](embed, hidden // 2, batch_first=True, bidirectional=True)
        self.decoder = FUSED[cell](embed, hidden, batch_first=True)
        if attention != "none":
            self.attention = Attention(attention, hidden)
            self.combine = nn.Linear(2 * hidden, hidden)
        self.out = nn.Linear(hidden, vocab_size)

    def encode(self, source: torch.Tensor) -> Memory:
        states, final = self.encoder(self.src_embed(source))

        def join(h):  # (2, B, H/2) forward and backward finals -> (1, B, H)
            return torch.cat([h[0], h[1]], dim=-1).unsqueeze(0)

        init = tuple(join(h) for h in final) if self.cell == "lstm" else join(final)
        return Memory(states, init)

    def _read_out(self, dec_states: torch.Tensor, memory: Memory):
        if self.attention_kind == "none":
            return self.out(dec_states), None
        context, weights = self.attention(dec_states, memory.states)
        combined = torch.tanh(self.combine(torch.cat([dec_states, context], dim=-1)))
        return self.out(combined), weights

    def forward(self, source: torch.Tensor, decoder_input: torch.Tensor):
        """Teacher-forced logits (B, Ty, V) and attention weights (B, Ty, Tx) or None."""
        memory = self.encode(source)
        dec_states, _ = self.decoder(self.tgt_embed(decoder_input), memory.init)
        return self._read_out(dec_states, memory)

    def step(self, tokens: torch.Tensor, state, memory: Memory):
        """One decoder step for free-running decoding: previous tokens (B,) ->
        (log-probabilities (B, V), new state, attention (B, Tx) or None)."""
        dec_state, state = self.decoder(self.tgt_embed(tokens).unsqueeze(1), state)
        logits, weights = self._read_out(dec_state, memory)
        log_probs = torch.log_softmax(logits.squeeze(1), dim=-1)
        return log_probs, state, (weights.squeeze(1) if weights is not None else None)


def select_state(state, index: torch.Tensor):
    """Reorder a decoder state along its batch dimension (beam search keeps survivors)."""
    if isinstance(state, tuple):
        return tuple(s.index_select(1, index) for s in state)
    return state.index_select(1, index)


def select_memory(memory: Memory, index: torch.Tensor) -> Memory:
    return Memory(memory.states.index_select(0, index), select_state(memory.init, index))
