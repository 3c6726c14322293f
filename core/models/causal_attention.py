"""A small causal self-attention model (a decoder-only Transformer, Vaswani et al. 2017) that
reads a sequence and emits logits at every position.

Each position embeds its input, adds a position code (learned, or the fixed sinusoids of
Vaswani et al.), and passes through `layers` pre-norm blocks

    h <- h + W_o · concat_heads softmax(q_i k_j / sqrt(d_head), j <= i) v_j
    h <- h + MLP(LayerNorm(h))

so every position reaches every earlier one in one hop: the gradient path from a loss at
position T to the input at position t has the same length for every t (O(1)), where a
recurrence needs T - t steps. The price is the T x T score matrix of every head.

`kernel="fused"` computes attention with torch's `scaled_dot_product_attention` (on CPU and
CUDA a flash-style kernel that recomputes the scores in the backward pass instead of keeping
them); `kernel="explicit"` forms softmax(q k^T / sqrt(d)) v itself, keeping the T x T matrix,
as a textbook layer does. Both compute the same function (a test checks it); the explicit
path also returns the attention maps the page shows.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

POSITIONS = ("learned", "sinusoidal")
KERNELS = ("fused", "explicit")


def sinusoidal_positions(length: int, dim: int, device=None) -> torch.Tensor:
    """PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(t / 10000^(2i/d))."""
    t = torch.arange(length, dtype=torch.float32, device=device).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32, device=device)
                     * (-math.log(10000.0) / dim))
    pe = torch.zeros(length, dim, device=device)
    pe[:, 0::2] = torch.sin(t * freq)
    pe[:, 1::2] = torch.cos(t * freq)
    return pe


class CausalBlock(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def attend(self, h: torch.Tensor, kernel: str):
        """Causal multi-head attention of the normalised states; returns (output, maps),
        maps (B, heads, T, T) only from the explicit kernel."""
        B, T, D = h.shape
        q, k, v = self.qkv(self.norm1(h)).view(B, T, 3, self.heads, D // self.heads).unbind(2)
        q, k, v = (z.transpose(1, 2) for z in (q, k, v))  # (B, heads, T, d_head)
        if kernel == "fused":
            mixed, maps = F.scaled_dot_product_attention(q, k, v, is_causal=True), None
        else:
            scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
            future = torch.ones(T, T, dtype=torch.bool, device=h.device).triu(1)
            maps = scores.masked_fill(future, float("-inf")).softmax(-1)
            mixed = maps @ v
        return self.out(mixed.transpose(1, 2).reshape(B, T, D)), maps

    def forward(self, h: torch.Tensor, kernel: str = "fused"):
        mixed, maps = self.attend(h, kernel)
        h = h + mixed
        return h + self.mlp(self.norm2(h)), maps


class CausalAttentionTagger(nn.Module):
    def __init__(self, input_size: int, dim: int, heads: int, layers: int, classes: int,
                 max_len: int, positions: str = "learned", kernel: str = "fused") -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"width {dim} is not divisible by {heads} heads")
        if positions not in POSITIONS or kernel not in KERNELS:
            raise ValueError(f"positions must be one of {POSITIONS}, kernel one of {KERNELS}")
        self.kernel, self.positions = kernel, positions
        self.embed = nn.Linear(input_size, dim)
        if positions == "learned":
            self.position = nn.Parameter(0.1 * torch.randn(max_len, dim))
        else:
            self.register_buffer("position", sinusoidal_positions(max_len, dim))
        self.blocks = nn.ModuleList(CausalBlock(dim, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor, return_maps: bool = False):
        """Logits (B, T, classes); with `return_maps`, also the attention maps of every layer
        [(B, heads, T, T)], computed with the explicit kernel."""
        T = x.shape[1]
        if T > self.position.shape[0]:
            raise ValueError(f"sequence of {T} steps is longer than the model's "
                             f"{self.position.shape[0]} positions")
        kernel = "explicit" if return_maps else self.kernel
        h = self.embed(x) + self.position[:T]
        maps = []
        for block in self.blocks:
            h, m = block(h, kernel)
            maps.append(m)
        logits = self.head(self.norm(h))
        return (logits, maps) if return_maps else logits
