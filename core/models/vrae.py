"""Variational recurrent autoencoder (Fabius & van Amersfoort 2014; Bowman et al. 2016).

An encoder GRU reads the whole sequence; its last state gives (μ, log σ²) of
q(z|x) = N(μ, diag σ²). A sample z = μ + σ·ε (the reparameterisation trick, so gradients
pass through the sampling) sets the decoder's initial state h_0 = tanh(W z + b), and may also
be concatenated to every decoder input. The decoder is autoregressive: it reads the previous
element (teacher forcing) and predicts the next one — a strong decoder, able to model the data
without z, which is what makes posterior collapse possible. Word dropout hides a fraction of
those previous elements so the decoder has to lean on z.

Two data kinds: continuous (one value per step, Gaussian likelihood with a fixed std) and
discrete (letters, softmax likelihood). A conditional variant gives the class to both sides.

For q(z|x) = N(μ, diag σ²) and p(z) = N(0, I) the KL divergence has the closed form
    KL(q ‖ p) = ½ Σ_d (μ_d² + σ_d² − 1 − log σ_d²)
(`gaussian_kl`; core.analysis.latent.monte_carlo_kl checks it by sampling).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from core.tasks.words import EOS, PAD, SOS, UNK, decode_ids


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, 1)) per element, closed form; sum over the last axis for a vector."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


@dataclass
class ElboTerms:
    reconstruction: torch.Tensor  # (B,) −log p(x|z), nats per sequence
    kl: torch.Tensor  # (B, d) KL(q(z|x) ‖ N(0, I)) per dimension, nats
    mu: torch.Tensor  # (B, d)
    logvar: torch.Tensor  # (B, d)


class VRAE(nn.Module):
    def __init__(self, kind: str, *, hidden: int, latent_dim: int, vocab_size: int = 0,
                 embed: int = 16, z_every_step: bool = False, classes: int = 0) -> None:
        super().__init__()
        if kind not in ("continuous", "discrete"):
            raise ValueError(f"unknown data kind {kind!r}")
        self.kind, self.latent_dim, self.classes = kind, latent_dim, classes
        self.z_every_step = z_every_step
        if kind == "discrete":
            self.embed = nn.Embedding(vocab_size, embed, padding_idx=PAD)
            enc_in, token_in, out = embed, embed, vocab_size
        else:
            # previous value and a flag saying whether it is shown (0 at t = 0 and when dropped)
            enc_in, token_in, out = 1, 2, 1
        self.encoder = nn.GRU(enc_in + classes, hidden, batch_first=True)
        self.to_stats = nn.Linear(hidden, 2 * latent_dim)
        self.z_to_h = nn.Linear(latent_dim + classes, hidden)
        extra = classes + (latent_dim if z_every_step else 0)
        self.decoder = nn.GRU(token_in + extra, hidden, batch_first=True)
        self.head = nn.Linear(hidden, out)

    # -- encoder ---------------------------------------------------------------------------
    def _onehot(self, label, n: int, steps: int | None = None):
        if not self.classes:
            return None
        code = F.one_hot(label, self.classes).float()
        return code if steps is None else code.unsqueeze(1).expand(n, steps, self.classes)

    def encode(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        if self.kind == "discrete":
            feats, last = self.embed(batch.letters), batch.lengths - 1
        else:
            feats, last = batch.x, None
        cond = self._onehot(batch.label, feats.shape[0], feats.shape[1])
        if cond is not None:
            feats = torch.cat([feats, cond], -1)
        out, _ = self.encoder(feats)
        rows = torch.arange(out.shape[0], device=out.device)
        final = out[:, -1] if last is None else out[rows, last]
        mu, logvar = self.to_stats(final).chunk(2, dim=-1)
        return mu, logvar.clamp(-12.0, 8.0)

    @staticmethod
    def reparameterise(mu, logvar, gen: torch.Generator):
        """z = μ + σ·ε with ε drawn from the run's own `gen` (never the process-wide one)."""
        eps = torch.randn(mu.shape, generator=gen, device=gen.device).to(mu.device)
        return mu + (0.5 * logvar).exp() * eps

    # -- decoder ---------------------------------------------------------------------------
    def _decoder_inputs(self, token_feats, z, label):
        parts = [token_feats]
        n, steps = token_feats.shape[:2]
        if self.z_every_step:
            parts.append(z.unsqueeze(1).expand(n, steps, self.latent_dim))
        cond = self._onehot(label, n, steps)
        if cond is not None:
            parts.append(cond)
        return torch.cat(parts, -1)

    def initial_state(self, z, label=None):
        code = z if not self.classes else torch.cat([z, self._onehot(label, z.shape[0])], -1)
        return torch.tanh(self.z_to_h(code)).unsqueeze(0)

    def _token_feats(self, batch, word_dropout: float, gen):
        """What the decoder reads at each step: the previous element, hidden with
        probability `word_dropout` (a blank value for waveforms, <unk> for letters)."""
        if self.kind == "discrete":
            tokens = batch.decoder_in
            if word_dropout > 0:
                drop = torch.rand(tokens.shape, generator=gen,
                                  device=gen.device).to(tokens.device) < word_dropout
                tokens = torch.where(drop & (tokens != SOS) & (tokens != PAD),
                                     torch.full_like(tokens, UNK), tokens)
            return self.embed(tokens)
        x = batch.x
        prev = torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], 1)
        shown = torch.ones_like(prev)
        shown[:, 0] = 0.0
        if word_dropout > 0:
            keep = (torch.rand(prev.shape, generator=gen, device=gen.device)
                    >= word_dropout).float().to(x.device)
            shown = shown * keep
        return torch.cat([prev * shown, shown], -1)

    def decode_teacher(self, z, batch, word_dropout: float = 0.0, gen=None) -> torch.Tensor:
        inputs = self._decoder_inputs(self._token_feats(batch, word_dropout, gen), z, batch.label)
        out, _ = self.decoder(inputs, self.initial_state(z, batch.label))
        return self.head(out)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, steps: int, label=None) -> torch.Tensor:
        """Free-running decode from z, feeding back the model's own output: the mean for
        waveforms (B, steps), the most probable letter for words (B, steps) ids."""
        n = z.shape[0]
        h = self.initial_state(z, label)
        if self.kind == "discrete":
            token = torch.full((n, 1), SOS, dtype=torch.long, device=z.device)
        else:
            token = torch.zeros(n, 1, 2, device=z.device)
        outputs = []
        for _ in range(steps):
            feats = self.embed(token) if self.kind == "discrete" else token
            out, h = self.decoder(self._decoder_inputs(feats, z, label), h)
            y = self.head(out)
            if self.kind == "discrete":
                token = y.argmax(-1)
                outputs.append(token[:, 0])
            else:
                token = torch.cat([y, torch.ones_like(y)], -1)
                outputs.append(y[:, 0, 0])
        return torch.stack(outputs, 1)

    # -- objective -------------------------------------------------------------------------
    def reconstruction_nll(self, output, batch, obs_std: float) -> torch.Tensor:
        """−log p(x|z) per sequence: Gaussian with fixed std for values, softmax for letters."""
        if self.kind == "discrete":
            nll = F.cross_entropy(output.transpose(1, 2), batch.target, ignore_index=PAD,
                                  reduction="none")
            return nll.sum(1)
        err = (output - batch.x).pow(2) / (2 * obs_std ** 2)
        const = math.log(obs_std) + 0.5 * math.log(2 * math.pi)
        return (err + const).sum((1, 2))

    def elbo_terms(self, batch, *, word_dropout: float = 0.0, obs_std: float = 0.1,
                   gen: torch.Generator | None = None) -> ElboTerms:
        """The ELBO's two terms per sequence, z sampled from q with `gen` (z = μ without one:
        the deterministic reading of the same model)."""
        mu, logvar = self.encode(batch)
        z = self.reparameterise(mu, logvar, gen) if gen is not None else mu
        output = self.decode_teacher(z, batch, word_dropout, gen)
        return ElboTerms(self.reconstruction_nll(output, batch, obs_std),
                         gaussian_kl(mu, logvar), mu, logvar)


def decoded_ids_to_words(ids: torch.Tensor) -> list[str]:
    return [decode_ids(row) for row in ids.tolist()]


def ends_cleanly(ids: torch.Tensor) -> list[bool]:
    """A generated word is valid when it ends with </s> after 1+ letters and no special token."""
    flags = []
    for row in ids.tolist():
        if EOS not in row:
            flags.append(False)
            continue
        letters = row[:row.index(EOS)]
        flags.append(len(letters) > 0 and all(t >= 4 for t in letters))
    return flags
