"""What a trained character model is asked: held-out bits per character, samples at a
temperature, the predictive entropy against temperature, and how word-like its samples are.

Temperature T divides the logits before the softmax, p_T(c) ∝ exp(z_c / T): T = 1 is the
model's own distribution, T → 0 puts all the mass on the most likely character (greedy), and
T → ∞ flattens it towards uniform (entropy log2 V).
"""
from __future__ import annotations

import math
import re

import numpy as np
import torch

GREEDY_BELOW = 1e-3  # temperatures this small sample the argmax exactly
ENTROPY_TEMPERATURES = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.85, 1.0, 1.25, 1.5, 2.0, 3.0)
WORD = re.compile(r"[^\W\d_]{2,}")  # a run of two or more letters, in any script


def tempered_log_probs(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """log p_T = log softmax(z / T); at T below GREEDY_BELOW, log of a one-hot argmax."""
    if temperature < GREEDY_BELOW:
        top = logits.argmax(-1, keepdim=True)
        return torch.full_like(logits, -math.inf).scatter(-1, top, 0.0)
    return torch.log_softmax(logits / temperature, dim=-1)


def entropy_bits(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Entropy of p_T at every position, in bits: -Σ p log2 p (0 for the greedy limit)."""
    logp = tempered_log_probs(logits, temperature)
    p = logp.exp()
    return -(p * torch.where(p > 0, logp, torch.zeros_like(logp))).sum(-1) / math.log(2)


def nats_to_bits(nats: float) -> float:
    """Bits per character = nats per character / ln 2."""
    return nats / math.log(2)


@torch.no_grad()
def held_out_logits(model, rows: torch.Tensor) -> torch.Tensor:
    """Logits for every position of the held-out rows (each row read from a zero state)."""
    model.eval()
    logits, _ = model(rows)
    model.train()
    return logits


def bits_per_char(logits: torch.Tensor, rows: torch.Tensor) -> float:
    """Mean cross-entropy in bits of rows[:, 1:] given the logits at rows[:, :-1]."""
    nats = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                             rows[:, 1:].reshape(-1))
    return nats_to_bits(float(nats.detach()))


def entropy_curve(logits: torch.Tensor, temperatures=ENTROPY_TEMPERATURES) -> dict:
    """Mean predictive entropy (bits) over held-out positions at each temperature."""
    flat = logits[:, :-1].reshape(-1, logits.shape[-1])
    return {"temperature": list(temperatures),
            "entropy_bits": [float(entropy_bits(flat, t).mean()) for t in temperatures]}


@torch.no_grad()
def sample(model, prompt_ids: list[int], length: int, temperature: float,
           generator: torch.Generator) -> list[int]:
    """`length` characters drawn one at a time from p_T after reading `prompt_ids`."""
    model.eval()
    device = next(model.parameters()).device
    ids = torch.tensor([prompt_ids], device=device)
    logits, state = model(ids)
    out = []
    for _ in range(length):
        logp = tempered_log_probs(logits[0, -1], temperature)
        if temperature < GREEDY_BELOW:
            nxt = int(logp.argmax())
        else:
            nxt = int(torch.multinomial(logp.exp().cpu(), 1, generator=generator))
        out.append(nxt)
        logits, state = model(torch.tensor([[nxt]], device=device), state)
    model.train()
    return out


def word_set(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text)}


def known_word_fraction(sample_text: str, vocabulary: set[str]) -> float | None:
    """The fraction of the sample's words (runs of 2+ letters) found in `vocabulary`;
    None for a sample with no words."""
    words = [w.lower() for w in WORD.findall(sample_text)]
    if not words:
        return None
    return sum(w in vocabulary for w in words) / len(words)


def ngram_sample(ngram, prompt_ids: list[int], length: int, temperature: float,
                 seed: int) -> list[int]:
    """A sample of the n-gram model at the same temperature (greedy below GREEDY_BELOW)."""
    rng = np.random.default_rng(seed)
    return ngram.sample(prompt_ids, length, max(temperature, GREEDY_BELOW), rng)
